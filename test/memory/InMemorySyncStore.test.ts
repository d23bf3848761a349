import * as InMemorySyncStore from "../../src/adapters/memory/InMemorySyncStore.ts"
import { syncStoreContract } from "../contract/SyncStore.contract.ts"

syncStoreContract("memory", () => InMemorySyncStore.layer)
