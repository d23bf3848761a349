import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoReplicaMembership from "../../src/adapters/mongo/MongoReplicaMembership.ts"
import { replicaMembershipContract } from "../contract/ReplicaMembership.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoReplicaMembership on a real server", (url) => {
  replicaMembershipContract("mongo", () => MongoReplicaMembership.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
