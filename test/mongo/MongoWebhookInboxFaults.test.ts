// Issue 9 #2: a claim interrupted after its lease write (crash, network error) must not strand the
// events. Here the lease insert reaches the server but its reply is lost.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { type Collection, type Db, MongoClient, MongoNetworkError } from "mongodb"
import { collections, ensureWebhookInboxIndexes } from "../../src/adapters/mongo/Indexes.ts"
import * as MongoWebhookInbox from "../../src/adapters/mongo/MongoWebhookInbox.ts"
import { aChange } from "../contract/WebhookInbox.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

/** A Db whose lease inserts are applied and then fail, while `armed` says so. */
const losingLeaseReplies = (db: Db, armed: () => boolean): Db =>
  new Proxy(db, {
    get: (target, property) => {
      if (property !== "collection") return Reflect.get(target, property, target)
      return (name: string) => {
        const collection = target.collection(name)
        if (name !== collections.webhookLeases) return collection
        return new Proxy(collection, {
          get: (c: Collection, p) =>
            p !== "insertOne"
              ? Reflect.get(c, p, c)
              : async (...args: Parameters<Collection["insertOne"]>) => {
                  const result = await c.insertOne(...args)
                  if (armed()) throw new MongoNetworkError("connection closed before the reply")
                  return result
                }
        })
      }
    }
  })

describeMongo("MongoWebhookInbox when a claim is interrupted after its lease write", (url) => {
  test("the events are taken over once the lease expires, and the interrupted claimant may retry at once", async () => {
    const client = await new MongoClient(url).connect()
    try {
      const db = client.db(freshDbName())
      await Effect.runPromise(ensureWebhookInboxIndexes(db))
      let armed = true
      const inbox = MongoWebhookInbox.make(losingLeaseReplies(db, () => armed))
      const changes = Array.from({ length: 5 }, (_, i) => aChange(i))
      const out = await Effect.runPromise(
        Effect.gen(function* () {
          yield* inbox.store(changes, 10)
          const interrupted = yield* Effect.flip(inbox.claim({ limit: 50, claimant: "a", now: 100, leaseMs: 1000 }))
          armed = false
          const retried = yield* inbox.claim({ limit: 50, claimant: "a", now: 200, leaseMs: 1000 })
          const before = yield* inbox.claim({ limit: 50, claimant: "b", now: 1199, leaseMs: 1000 })
          const after = yield* inbox.claim({ limit: 50, claimant: "b", now: 1200, leaseMs: 1000 })
          yield* inbox.markPublished(after)
          return { interrupted, retried, before, after, backlog: yield* inbox.backlog }
        })
      )
      expect(out.interrupted.isRetryable).toBe(true)
      expect(out.retried.events.length).toBe(5)
      expect(out.before.events).toEqual([])
      expect(out.after.events.map((e) => e.change.key).sort()).toEqual(changes.map((c) => c.key).sort())
      expect(out.backlog.pending).toBe(0)
    } finally {
      await client.close()
    }
  })
})
