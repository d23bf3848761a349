import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoJobCheckpoints from "../../src/adapters/mongo/MongoJobCheckpoints.ts"
import { jobCheckpointsContract } from "../contract/JobCheckpoints.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoJobCheckpoints on a real server", (url) => {
  jobCheckpointsContract("mongo", () => MongoJobCheckpoints.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
