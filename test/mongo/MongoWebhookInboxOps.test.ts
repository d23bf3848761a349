// Batch-first, proven by counting the database commands: intake is one read and one insert per
// request, and a relay batch costs the same handful of commands whether it holds 10 events or 500.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { MongoClient } from "mongodb"
import { ensureWebhookInboxIndexes } from "../../src/adapters/mongo/Indexes.ts"
import * as MongoWebhookInbox from "../../src/adapters/mongo/MongoWebhookInbox.ts"
import { aChange } from "../contract/WebhookInbox.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

const dataCommands = new Set(["find", "insert", "update", "delete", "findAndModify", "aggregate"])

describeMongo("MongoWebhookInbox commands per request and per batch", (url) => {
  test("a request costs 2 commands; claiming and marking a batch costs ≤ 9, independent of its size; nothing is updated", async () => {
    const client = new MongoClient(url, { monitorCommands: true })
    await client.connect()
    const commands: Array<string> = []
    client.on("commandStarted", (event) => void (dataCommands.has(event.commandName) && commands.push(event.commandName)))
    try {
      const db = client.db(freshDbName())
      await Effect.runPromise(ensureWebhookInboxIndexes(db))
      const inbox = MongoWebhookInbox.make(db, { naturalOrder: true, dedupeWindowMs: 60_000 })
      const count = async <A>(f: () => Promise<A>) => {
        commands.length = 0
        await f()
        return [...commands]
      }
      const requests = Array.from({ length: 6 }, (_, r) => Array.from({ length: 100 }, (_, i) => aChange(r * 100 + i)))
      const perRequest = await count(() => Effect.runPromise(inbox.store(requests[0]!, 10)))
      for (const request of requests.slice(1)) await Effect.runPromise(inbox.store(request, 20))
      const relayBatch = (limit: number, now: number) =>
        count(() => Effect.runPromise(Effect.flatMap(inbox.claim({ limit, claimant: "a", now, leaseMs: 1000 }), inbox.markPublished)))
      const small = await relayBatch(10, 100)
      const large = await relayBatch(500, 200)
      expect(perRequest).toEqual(["find", "insert"])
      // A peek (an idle relay takes no lease), the lease and its check, the events after the lease
      // is won; then the keys, the delete, the release, and now and then a prune of the chain.
      expect(small.length).toBeLessThanOrEqual(9)
      expect(large.filter((c) => c !== "delete").length).toBe(small.filter((c) => c !== "delete").length)
      expect([...small, ...large]).not.toContain("update")
      expect((await Effect.runPromise(inbox.backlog)).pending).toBe(600 - 510)
    } finally {
      await client.close()
    }
  })
})
