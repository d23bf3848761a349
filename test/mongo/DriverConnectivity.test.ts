// Plain driver against the configured server (FerretDB in dev/CI): the primitives the adapters
// rely on — a unique index, unordered insertMany reporting duplicates, findOneAndUpdate upsert.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { type Db, MongoBulkWriteError, MongoClient } from "mongodb"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("mongodb driver against the server", (url) => {
  let client: MongoClient
  let db: Db
  beforeAll(async () => {
    client = new MongoClient(url, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 })
    await client.connect()
    db = client.db(freshDbName())
  })
  afterAll(() => client.close())

  test("a unique index rejects a second document with code 11000", async () => {
    const col = db.collection("unique_probe")
    await col.createIndex({ key: 1 }, { unique: true })
    await col.insertOne({ key: "a" })
    const error = await col.insertOne({ key: "a" }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 11000 })
  })

  test("unordered insertMany stores the rest and reports each duplicate", async () => {
    const col = db.collection<{ _id: string }>("inbox_probe")
    const error = await col.insertMany([{ _id: "1" }, { _id: "1" }, { _id: "2" }, { _id: "2" }, { _id: "3" }], { ordered: false }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MongoBulkWriteError)
    const bulk = error as MongoBulkWriteError
    expect(bulk.insertedCount).toBe(3)
    expect([bulk.writeErrors].flat().map((w) => w.code)).toEqual([11000, 11000])
    expect(await col.countDocuments()).toBe(3)
  })

  test("findOneAndUpdate upserts, then updates; a conditional miss on an existing _id is E11000", async () => {
    const col = db.collection<{ _id: string; used: number }>("upsert_probe")
    const created = await col.findOneAndUpdate({ _id: "s" }, { $inc: { used: 1 } }, { upsert: true, returnDocument: "after" })
    const updated = await col.findOneAndUpdate({ _id: "s" }, { $inc: { used: 1 } }, { upsert: true, returnDocument: "after" })
    expect([created, updated]).toEqual([
      { _id: "s", used: 1 },
      { _id: "s", used: 2 }
    ])
    const miss = await col.findOneAndUpdate({ _id: "s", used: { $lte: 1 } }, { $inc: { used: 1 } }, { upsert: true }).catch((e: unknown) => e)
    expect(miss).toMatchObject({ code: 11000 })
  })
})
