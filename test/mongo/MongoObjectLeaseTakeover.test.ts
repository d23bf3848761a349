// A takeover of an expired object lease that dies mid-way (the store connection reset after its
// marker was inserted) must not keep the object from every later taker: the chaos suite once lost
// shop objects whose messages waited for such a lease forever after a reset of the store's link.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { MongoClient } from "mongodb"
import { collections } from "../../src/adapters/mongo/Indexes.ts"
import * as MongoObjectLeases from "../../src/adapters/mongo/MongoObjectLeases.ts"
import { failingOnce } from "../support/mongo/FailingOnce.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoObjectLeases: a takeover that died mid-way", (url) => {
  let client: MongoClient
  beforeAll(async () => {
    client = await new MongoClient(url, { serverSelectionTimeoutMS: 2000 }).connect()
  })
  afterAll(() => client.close())

  test("its marker blocks the key only until the marker's own lease expires; then one of two takers gets it and no marker is left", async () => {
    const real = client.db(freshDbName())
    const leases = real.collection<{ _id: string; holder: string; expiresAt: number }>(collections.objectLeases)
    // The delete of the expired lease, which follows the takeover's marker insert.
    const { db, arm } = failingOnce(
      real,
      collections.objectLeases,
      "deleteMany",
      ([filter]) => typeof filter === "object" && filter !== null && "$or" in filter
    )
    const port = MongoObjectLeases.make(db)
    const take = (holder: string, now: number) => Effect.runPromise(port.take({ keys: ["user:1"], holder, now, leaseMs: 100 }))
    expect([...(await take("crashed", 0))]).toEqual(["user:1"])
    arm()
    // The takeover inserts its marker, then its delete of the expired lease fails: the taker is gone.
    const dying = await Effect.runPromise(Effect.exit(port.take({ keys: ["user:1"], holder: "dying", now: 500, leaseMs: 100 })))
    expect(dying._tag).toBe("Failure")
    // While the dying taker's marker holds (until 600), nobody takes the key over.
    expect((await take("early", 550)).size).toBe(0)
    // Once it has expired, of two takers at once exactly one takes the key.
    const [b, c] = await Promise.all([take("b", 700), take("c", 700)])
    expect([b.size, c.size].sort()).toEqual([0, 1])
    const winner = b.size === 1 ? "b" : "c"
    // Every marker is gone; the winner's lease is the only document, and its release frees the key.
    expect(await leases.find({}).toArray()).toEqual([{ _id: "user:1", holder: winner, expiresAt: 800 }])
    await Effect.runPromise(port.release(["user:1"], winner))
    expect([...(await take("next", 710))]).toEqual(["user:1"])
  })
})
