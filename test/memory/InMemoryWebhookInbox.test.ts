import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { webhookInboxContract } from "../contract/WebhookInbox.contract.ts"

webhookInboxContract("memory", () => InMemoryWebhookInbox.layer)
