import { Layer } from "effect"
import * as MongoBackfillJobs from "../../src/adapters/mongo/MongoBackfillJobs.ts"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import { backfillJobsContract } from "../contract/BackfillJobs.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoBackfillJobs on a real server", (url) => {
  backfillJobsContract("mongo", () => MongoBackfillJobs.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
