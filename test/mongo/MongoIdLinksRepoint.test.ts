// A CRM merge moves the merged id's link to the survivor: delete, then insert (the unique
// commerce-id index refuses the survivor's link while the merged one exists). A repoint that dies
// between the two must not leave the shop record linked to nothing once the message is retried.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { MongoClient } from "mongodb"
import { collections } from "../../src/adapters/mongo/Indexes.ts"
import * as MongoIdLinks from "../../src/adapters/mongo/MongoIdLinks.ts"
import { failingOnce } from "../support/mongo/FailingOnce.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoIdLinks: a repoint that died mid-way", (url) => {
  let client: MongoClient
  beforeAll(async () => {
    client = await new MongoClient(url, { serverSelectionTimeoutMS: 2000 }).connect()
  })
  afterAll(() => client.close())

  test("its retry still links the survivor to the shop record; nothing of the move is left", async () => {
    const real = client.db(freshDbName())
    const { db, arm, fired } = failingOnce(real, collections.links, "insertOne")
    const links = await Effect.runPromise(MongoIdLinks.make(db))
    await Effect.runPromise(links.link([{ entity: "business", crmId: "c3", commerceId: "b3" }]))
    arm()
    // The merged id's link is deleted, then the survivor's insert fails: the consumer dies here.
    const first = await Effect.runPromise(Effect.exit(links.repoint("business", ["c3"], "c9")))
    expect(first._tag).toBe("Failure")
    expect(fired()).toBe(true)
    // The message is retried.
    await Effect.runPromise(links.repoint("business", ["c3"], "c9"))
    const found = await Effect.runPromise(links.find({ commerceIds: [{ entity: "business", id: "b3" }] }))
    expect(found).toEqual([{ entity: "business", crmId: "c9", commerceId: "b3" }])
    expect(await real.collection(collections.linkMoves).countDocuments({})).toBe(0)
    // A later repoint of the same ids changes nothing.
    await Effect.runPromise(links.repoint("business", ["c3"], "c9"))
    expect(
      await Effect.runPromise(
        links.find({
          crmIds: [
            { entity: "business", id: "c9" },
            { entity: "business", id: "c3" }
          ]
        })
      )
    ).toEqual(found)
  })
})
