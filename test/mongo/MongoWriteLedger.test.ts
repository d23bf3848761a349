import { Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoWriteLedger from "../../src/adapters/mongo/MongoWriteLedger.ts"
import { writeLedgerContract } from "../contract/WriteLedger.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoWriteLedger on a real server", (url) => {
  writeLedgerContract("mongo", () => MongoWriteLedger.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))
})
