// The sweep where the server has no TTL index (FerretDB): in insertion order it deletes the
// expired head a page at a time, and stops where the head is not expired.
import { expect, test } from "bun:test"
import { MongoClient } from "mongodb"
import { SWEEP_PAGE, sweepHead } from "../../src/adapters/mongo/ExpirySweep.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("ExpirySweep on a real server", (url) => {
  const withCollection = async (run: (c: ReturnType<ReturnType<MongoClient["db"]>["collection"]>) => Promise<void>) => {
    const dbName = freshDbName()
    const client = new MongoClient(url)
    try {
      await run(client.db(dbName).collection("swept"))
    } finally {
      await client.db(dbName).dropDatabase()
      await client.close()
    }
  }
  const now = 1_000_000

  test("deletes every expired document at the head, over several pages, and keeps the ones not yet expired", async () => {
    await withCollection(async (c) => {
      const expired = SWEEP_PAGE * 2 + 500
      await c.insertMany(Array.from({ length: expired }, (_, i) => ({ _id: `e${i}`, expiresAt: new Date(now - 1000 + i / 10) })) as never)
      await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: `f${i}`, expiresAt: new Date(now + 1000 + i) })) as never)
      expect(await sweepHead(c, "expiresAt", now)).toBe(expired)
      expect((await c.find({}).toArray()).map((d) => String(d._id)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}`))
    })
  })

  test("a page that is not all expired ends the round: what is behind it waits for the next round", async () => {
    await withCollection(async (c) => {
      await c.insertOne({ _id: "later", expiresAt: new Date(now + 5000) } as never)
      await c.insertMany(Array.from({ length: SWEEP_PAGE + 5 }, (_, i) => ({ _id: `e${i}`, expiresAt: new Date(now - 100) })) as never)
      expect(await sweepHead(c, "expiresAt", now)).toBe(SWEEP_PAGE - 1)
      expect(await sweepHead(c, "expiresAt", now)).toBe(6)
      expect((await c.find({}).toArray()).map((d) => String(d._id))).toEqual(["later"])
    })
  })
  test("a sweep whose store deadline has passed stops at the next page, deleting no more", async () => {
    await withCollection(async (c) => {
      await c.insertMany(Array.from({ length: SWEEP_PAGE * 2 }, (_, i) => ({ _id: `e${i}`, expiresAt: new Date(now - 100) })) as never)
      const deadline = new AbortController()
      deadline.abort()
      expect(await sweepHead(c, "expiresAt", now, deadline.signal)).toBe(0)
      expect(await c.countDocuments({})).toBe(SWEEP_PAGE * 2)
    })
  })
})
