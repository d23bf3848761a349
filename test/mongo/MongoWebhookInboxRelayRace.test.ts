// Review findings on the relay's lease: a claim must not publish events another relay published
// and released while it was deciding, and the lease chain must be pruned in steady state.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { type Collection, type Db, MongoClient } from "mongodb"
import { collections, ensureWebhookInboxIndexes } from "../../src/adapters/mongo/Indexes.ts"
import * as MongoWebhookInbox from "../../src/adapters/mongo/MongoWebhookInbox.ts"
import { aChange } from "../contract/WebhookInbox.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

/** A Db whose first read of the lease chain waits until `gate` resolves. */
const leaseReadWaits = (db: Db, gate: Promise<void>): Db => {
  let first = true
  return new Proxy(db, {
    get: (target, property) => {
      if (property !== "collection") return Reflect.get(target, property, target)
      return (name: string) => {
        const collection = target.collection(name)
        if (name !== collections.webhookLeases) return collection
        return new Proxy(collection, {
          get: (c: Collection, p) => {
            if (p !== "find") return Reflect.get(c, p, c)
            return (...args: Parameters<Collection["find"]>) => {
              const cursor = c.find(...args)
              const next = cursor.next.bind(cursor)
              cursor.next = async () => {
                if (first) {
                  first = false
                  await gate
                }
                return next()
              }
              return cursor
            }
          }
        })
      }
    }
  })
}

const opts = { naturalOrder: true, dedupeWindowMs: 3_600_000 }

describeMongo("MongoWebhookInbox relay lease", (url) => {
  test("a relay deciding while another publishes and releases a batch does not publish it again", async () => {
    const client = await new MongoClient(url).connect()
    try {
      const db = client.db(freshDbName())
      await Effect.runPromise(ensureWebhookInboxIndexes(db))
      const a = MongoWebhookInbox.make(db, opts)
      let open = () => {}
      const gate = new Promise<void>((resolve) => {
        open = resolve
      })
      const b = MongoWebhookInbox.make(leaseReadWaits(db, gate), opts)
      await Effect.runPromise(
        a.store(
          Array.from({ length: 5 }, (_, i) => aChange(i)),
          1
        )
      )
      const now = Date.now()
      const batchA = await Effect.runPromise(a.claim({ limit: 100, claimant: "A", now, leaseMs: 30_000 }))
      const claimB = Effect.runPromise(b.claim({ limit: 100, claimant: "B", now, leaseMs: 30_000 }))
      await Bun.sleep(200)
      await Effect.runPromise(a.markPublished(batchA))
      open()
      expect(batchA.events).toHaveLength(5)
      expect((await claimB).events).toHaveLength(0)
    } finally {
      await client.close()
    }
  }, 30_000)

  test("the lease chain stays short however many batches go through", async () => {
    const client = await new MongoClient(url).connect()
    try {
      const db = client.db(freshDbName())
      await Effect.runPromise(ensureWebhookInboxIndexes(db))
      const inbox = MongoWebhookInbox.make(db, opts)
      for (let i = 0; i < 60; i++) {
        await Effect.runPromise(inbox.store([aChange(100 + i)], 1))
        const batch = await Effect.runPromise(inbox.claim({ limit: 10, claimant: "A", now: Date.now(), leaseMs: 30_000 }))
        await Effect.runPromise(inbox.markPublished(batch))
      }
      expect(await db.collection(collections.webhookLeases).countDocuments({})).toBeLessThan(30)
    } finally {
      await client.close()
    }
  }, 60_000)
})
