import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { MongoClient } from "mongodb"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoWriteLedger from "../../src/adapters/mongo/MongoWriteLedger.ts"
import { WriteLedger } from "../../src/application/ports/WriteLedger.ts"
import { writeLedgerContract } from "../contract/WriteLedger.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoWriteLedger on a real server", (url) => {
  writeLedgerContract("mongo", () => MongoWriteLedger.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))

  test("one document per object write (FerretDB scans per document), its object and its writes one text field each; documents stored in the earlier forms are still read", async () => {
    const dbName = freshDbName()
    const client = new MongoClient(url)
    try {
      const collection = client.db(dbName).collection("write_ledger")
      await collection.insertOne({
        object: JSON.stringify(["crm", "company:1"]),
        side: "crm",
        objectKey: "company:1",
        property: "old",
        valueHash: "h0",
        expiresAt: new Date(9000)
      })
      await collection.insertOne({
        object: JSON.stringify(["crm", "company:1"]),
        side: "crm",
        objectKey: "company:1",
        writes: [
          { property: "older", valueHash: "h1" },
          { property: "oldest", valueHash: "h2" }
        ],
        expiresAt: new Date(9000)
      })
      const found = await Effect.runPromise(
        Effect.gen(function* () {
          const ledger = yield* WriteLedger
          yield* ledger.record(
            ["name", "domain", "phone"].map((property) => ({
              side: "crm" as const,
              objectKey: "company:1",
              property,
              valueHash: `h-${property}`,
              expiresAt: 9000
            }))
          )
          return yield* ledger.find([{ side: "crm", objectKey: "company:1" }], 10)
        }).pipe(Effect.provide(MongoWriteLedger.layer.pipe(Layer.provide(dbLayer({ url, dbName })))))
      )
      expect(found.map((e) => e.property).sort()).toEqual(["domain", "name", "old", "older", "oldest", "phone"])
      expect(found.find((e) => e.property === "older")?.valueHash).toBe("h1")
      expect(found.find((e) => e.property === "phone")?.valueHash).toBe("h-phone")
      expect(await collection.countDocuments()).toBe(3)
      const stored = await collection.findOne({ pairs: { $exists: true } })
      expect(typeof stored?.["pairs"]).toBe("string")
      expect(stored?.["writes"]).toBeUndefined()
      // The object is stored once, in `object`.
      expect(stored?.["object"]).toBe(JSON.stringify(["crm", "company:1"]))
      expect(stored?.["side"]).toBeUndefined()
      expect(stored?.["objectKey"]).toBeUndefined()
    } finally {
      await client.db(dbName).dropDatabase()
      await client.close()
    }
  })
})
