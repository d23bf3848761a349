import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoParkedItems from "../../src/adapters/mongo/MongoParkedItems.ts"
import { parkedItemsContract } from "../contract/ParkedItems.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoParkedItems on a real server", (url) => {
  parkedItemsContract("mongo", () => MongoParkedItems.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
