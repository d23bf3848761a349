import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoIdLinks from "../../src/adapters/mongo/MongoIdLinks.ts"
import { idLinksContract } from "../contract/IdLinks.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoIdLinks on a real server", (url) => {
  idLinksContract("mongo", () => MongoIdLinks.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
