import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { MongoClient } from "mongodb"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoSnapshots from "../../src/adapters/mongo/MongoSnapshots.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import type { CompanyId } from "../../src/domain/Ids.ts"
import { snapshotsContract } from "../contract/Snapshots.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

const aCompany = (id: string, version: number, name: string) => ({
  type: "company" as const,
  id,
  version,
  record: { id: id as CompanyId, properties: { name }, updatedAt: version, contactIds: [] }
})

describeMongo("MongoSnapshots on a real server", (url) => {
  snapshotsContract("mongo", () => MongoSnapshots.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() }))))

  test("two versions left by saves that raced (each read before the other's insert): reads take the newest, the key's next save prunes the older", async () => {
    const dbName = freshDbName()
    const client = new MongoClient(url)
    try {
      const collection = client.db(dbName).collection<{ _id: string; key: string }>("crm_snapshots")
      const doc = (version: number, name: string) => ({
        _id: `company:1:${version}`,
        key: "company:1",
        kind: "company",
        id: "1",
        version,
        record: JSON.stringify(aCompany("1", version, name).record)
      })
      await collection.insertMany([doc(3, "three"), doc(9, "nine")])
      const out = await Effect.runPromise(
        Effect.gen(function* () {
          const s = yield* Snapshots
          const before = yield* s.getCrm([{ type: "company", id: "1" }])
          const verdicts = yield* s.saveCrm([aCompany("1", 10, "ten"), aCompany("2", 1, "one")])
          return { before, verdicts, after: yield* s.getCrm([{ type: "company", id: "1" }]) }
        }).pipe(Effect.provide(MongoSnapshots.layer.pipe(Layer.provide(dbLayer({ url, dbName })))))
      )
      expect(out.before.map((s) => [s.version, s.record.properties["name"]])).toEqual([[9, "nine"]])
      expect(out.verdicts).toEqual(["newer", "newer"])
      expect(out.after.map((s) => [s.version, s.record.properties["name"]])).toEqual([[10, "ten"]])
      expect((await collection.find({ key: "company:1" }).toArray()).map((d) => d._id)).toEqual(["company:1:10"])
    } finally {
      await client.db(dbName).dropDatabase()
      await client.close()
    }
  })
})
