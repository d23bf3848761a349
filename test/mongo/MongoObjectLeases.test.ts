import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoObjectLeases from "../../src/adapters/mongo/MongoObjectLeases.ts"
import { objectLeasesContract } from "../contract/ObjectLeases.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoObjectLeases on a real server", (url) => {
  objectLeasesContract("mongo", () => MongoObjectLeases.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
