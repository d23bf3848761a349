import * as MongoSyncStore from "../../src/adapters/mongo/MongoSyncStore.ts"
import { syncStoreContract } from "../contract/SyncStore.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoSyncStore on a real server", (url) => {
  syncStoreContract("mongo", () => MongoSyncStore.layer({ url, dbName: freshDbName() }))
})
