import * as MongoWebhookInbox from "../../src/adapters/mongo/MongoWebhookInbox.ts"
import { webhookInboxContract } from "../contract/WebhookInbox.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoWebhookInbox on a real server", (url) => {
  webhookInboxContract("mongo", () => MongoWebhookInbox.layer({ url, dbName: freshDbName() }))
})
