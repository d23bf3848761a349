// A CRM merge moves the merged id's link to the survivor. A repoint that dies on its way (a reset
// connection) must never leave the shop record linked to nothing: its retry would find no link to
// move. Each driver write the adapter might make fails once in turn.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { MongoClient } from "mongodb"
import { collections } from "../../src/adapters/mongo/Indexes.ts"
import * as MongoIdLinks from "../../src/adapters/mongo/MongoIdLinks.ts"
import { failingOnce, interceptOnce } from "../support/mongo/FailingOnce.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

const writes = ["insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "bulkWrite", "replaceOne"]

describeMongo("MongoIdLinks: a repoint that dies on its way", (url) => {
  let client: MongoClient
  beforeAll(async () => {
    client = await new MongoClient(url, { serverSelectionTimeoutMS: 2000 }).connect()
  })
  afterAll(() => client.close())

  test.each(writes)("its %s failing: the shop record stays linked, and the retry moves the link to the survivor", async (write) => {
    const { db, arm } = failingOnce(client.db(freshDbName()), collections.links, write)
    const links = await Effect.runPromise(MongoIdLinks.make(db))
    const linkOfB3 = () => Effect.runPromise(links.find({ commerceIds: [{ entity: "business", id: "b3" }] }))
    await Effect.runPromise(links.link([{ entity: "business", crmId: "c3", commerceId: "b3" }]))
    arm()
    await Effect.runPromise(Effect.exit(links.repoint("business", ["c3"], "c9")))
    expect((await linkOfB3()).length).toBe(1)
    // The message is retried (or was done).
    await Effect.runPromise(links.repoint("business", ["c3"], "c9"))
    expect(await linkOfB3()).toEqual([{ entity: "business", crmId: "c9", commerceId: "b3" }])
  })
  test("the survivor linked by another writer just before the move: the merged id keeps its link, the survivor its own", async () => {
    const { db, arm, fired } = interceptOnce(client.db(freshDbName()), collections.links, "updateOne", async (update, args, target) => {
      await target.insertOne({ entity: "business", crmId: "c9", commerceId: "b9" })
      return update(...args)
    })
    const links = await Effect.runPromise(MongoIdLinks.make(db))
    await Effect.runPromise(links.link([{ entity: "business", crmId: "c3", commerceId: "b3" }]))
    arm()
    await Effect.runPromise(links.repoint("business", ["c3"], "c9"))
    expect(fired()).toBe(true)
    const found = await Effect.runPromise(
      links.find({
        crmIds: [
          { entity: "business", id: "c3" },
          { entity: "business", id: "c9" }
        ]
      })
    )
    expect([...found].sort((a, b) => a.crmId.localeCompare(b.crmId))).toEqual([
      { entity: "business", crmId: "c3", commerceId: "b3" },
      { entity: "business", crmId: "c9", commerceId: "b9" }
    ])
  })
})
