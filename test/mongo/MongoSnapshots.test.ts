import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoSnapshots from "../../src/adapters/mongo/MongoSnapshots.ts"
import { snapshotsContract } from "../contract/Snapshots.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoSnapshots on a real server", (url) => {
  snapshotsContract("mongo", () => MongoSnapshots.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
