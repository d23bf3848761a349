// The WebhookInbox contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type ClaimedBatch, UNCLAIMED, WebhookInbox } from "../../src/application/ports/WebhookInbox.ts"
import type { CrmChange } from "../../src/domain/CrmChange.ts"

export const aChange = (n: number, over: Partial<CrmChange> = {}): CrmChange => ({
  key: `sub-1:company:${n}:evt-${n}:1000`,
  objectType: "company",
  objectId: String(n),
  kind: "propertyChange",
  occurredAt: 1000 + n,
  propertyName: "name",
  propertyValue: `Acme ${n}`,
  ...over
})
const changes = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => aChange(from + i))
const keys = (batch: ClaimedBatch) => batch.events.map((e) => e.change.key)
const claim = (inbox: WebhookInbox["Service"], claimant: string, now: number, limit = 50, leaseMs = 1000) => inbox.claim({ limit, claimant, now, leaseMs })

export const webhookInboxContract = (name: string, makeLayer: () => Layer.Layer<WebhookInbox, unknown>): void => {
  const run = <A>(f: (inbox: WebhookInbox["Service"]) => Effect.Effect<A, unknown>) =>
    Effect.runPromise(Effect.flatMap(WebhookInbox, f).pipe(Effect.provide(makeLayer())))

  describe(`WebhookInbox contract: ${name}`, () => {
    test("stores each event once, even when delivered 5× concurrently, and counts the duplicates", async () => {
      const [results, backlog] = await run((inbox) =>
        Effect.all([
          Effect.all(
            Array.from({ length: 5 }, () => inbox.store(changes(1, 4), 10)),
            { concurrency: "unbounded" }
          ),
          inbox.backlog
        ])
      )
      expect(results.reduce((sum, r) => sum + r.stored, 0)).toBe(3)
      expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(12)
      expect(backlog).toEqual({ pending: 3, oldestReceivedAt: 10 })
    })

    test("a claim hands out the oldest requests' events first, up to the limit", async () => {
      const batch = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store([aChange(7), aChange(9)], 10)
          yield* inbox.store([aChange(1)], 20)
          yield* inbox.store([aChange(3), aChange(5)], 30)
          return yield* claim(inbox, "a", 100, 4)
        })
      )
      expect(keys(batch)).toEqual([aChange(7), aChange(9), aChange(1), aChange(3)].map((c) => c.key))
      expect(batch.events[0]).toEqual({ change: aChange(7), receivedAt: 10 })
    })

    test("concurrent claimers never get the same event while a lease is valid", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 20), 10)
          const racing = yield* Effect.all(
            ["a", "b", "c", "d", "e"].map((who) => claim(inbox, who, 100, 15)),
            { concurrency: "unbounded" }
          )
          const during = yield* claim(inbox, "f", 1099)
          return { racing, during }
        })
      )
      const winners = out.racing.filter((b) => b.events.length > 0)
      expect(winners.length).toBe(1)
      expect(winners[0]!.events.length).toBe(15)
      expect(out.during.events).toEqual([])
    })

    test("a claimant that crashed between claim and mark: its batch is taken over once the lease expires, not before", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 5), 10)
          const crashed = yield* claim(inbox, "a", 100)
          const before = yield* claim(inbox, "b", 1099)
          const after = yield* claim(inbox, "b", 1100)
          yield* inbox.markPublished(after)
          return { crashed, before, after, backlog: yield* inbox.backlog }
        })
      )
      expect(out.crashed.events.length).toBe(5)
      expect(out.before.events).toEqual([])
      expect(keys(out.after)).toEqual(keys(out.crashed))
      expect(out.backlog).toEqual({ pending: 0, oldestReceivedAt: undefined })
    })

    test("marking deletes the published events and releases the lease: another claimant goes on at once", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 10), 10)
          const first = yield* claim(inbox, "a", 100, 4)
          yield* inbox.markPublished(first)
          const second = yield* claim(inbox, "b", 101, 4)
          return { first, second, backlog: yield* inbox.backlog }
        })
      )
      expect(keys(out.second)).toEqual(changes(4, 8).map((c) => c.key))
      expect(out.backlog.pending).toBe(6)
    })

    test("events published without a claim (UNCLAIMED) are deleted, and another claimant's lease stays valid", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 4), 10)
          const held = yield* claim(inbox, "a", 100, 2)
          // The fast path published the two newest without claiming them.
          yield* inbox.markPublished({ lease: UNCLAIMED, events: changes(2, 4).map((change) => ({ change, receivedAt: 10 })) })
          const other = yield* claim(inbox, "b", 200, 4)
          return { held, other, backlog: yield* inbox.backlog }
        })
      )
      expect(keys(out.held)).toEqual(changes(0, 2).map((c) => c.key))
      expect(out.other.events).toEqual([])
      expect(out.backlog.pending).toBe(2)
    })

    test("marking part of a claimed batch deletes only that part and releases the lease: the rest is claimed next", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 3), 10)
          const first = yield* claim(inbox, "a", 100, 3)
          yield* inbox.markPublished({ lease: first.lease, events: first.events.slice(0, 1) })
          const second = yield* claim(inbox, "b", 101, 3)
          yield* inbox.markPublished({ lease: second.lease, events: [] })
          const third = yield* claim(inbox, "c", 102, 3)
          return { second, third }
        })
      )
      expect(keys(out.second)).toEqual(changes(1, 3).map((c) => c.key))
      expect(keys(out.third)).toEqual(changes(1, 3).map((c) => c.key))
    })

    test("a claim with receivedBy leaves younger events pending, and takes no lease when only those are", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 2), 10)
          yield* inbox.store(changes(2, 4), 50)
          const old = yield* inbox.claim({ limit: 10, claimant: "a", now: 100, leaseMs: 1000, receivedBy: 20 })
          yield* inbox.markPublished(old)
          const none = yield* inbox.claim({ limit: 10, claimant: "b", now: 101, leaseMs: 1000, receivedBy: 20 })
          const later = yield* claim(inbox, "c", 102, 10)
          return { old, none, later }
        })
      )
      expect(keys(out.old)).toEqual(changes(0, 2).map((c) => c.key))
      expect(out.none.events).toEqual([])
      expect(keys(out.later)).toEqual(changes(2, 4).map((c) => c.key))
    })

    test("the holder renews its lease batch after batch while others wait", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 6), 10)
          const first = yield* claim(inbox, "a", 100, 3)
          const again = yield* claim(inbox, "a", 200, 3) // not marked: a retry gets the same batch
          const other = yield* claim(inbox, "b", 300, 3)
          yield* inbox.markPublished(again)
          const next = yield* claim(inbox, "a", 400, 3)
          return { first, again, other, next }
        })
      )
      expect(keys(out.again)).toEqual(keys(out.first))
      expect(out.other.events).toEqual([])
      expect(keys(out.next)).toEqual(changes(3, 6).map((c) => c.key))
    })

    test("a stalled holder marking late does not release the lease of the claimant that took over", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 4), 10)
          const stalled = yield* claim(inbox, "a", 100, 2)
          const takeover = yield* claim(inbox, "b", 1200, 2)
          yield* inbox.markPublished(stalled) // b's lease is still valid until 2200
          const third = yield* claim(inbox, "c", 1300, 2)
          return { stalled, takeover, third, backlog: yield* inbox.backlog }
        })
      )
      expect(keys(out.takeover)).toEqual(keys(out.stalled))
      expect(out.third.events).toEqual([])
      expect(out.backlog.pending).toBe(2)
    })

    test("nothing pending: an empty claim takes no lease", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          const empty = yield* claim(inbox, "a", 100)
          yield* inbox.store(changes(0, 1), 150)
          return { empty, other: yield* claim(inbox, "b", 200) }
        })
      )
      expect(out.empty.events).toEqual([])
      expect(out.other.events.length).toBe(1)
    })

    test("a redelivery while the event is pending is a duplicate; the backlog reports the oldest", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 2), 50)
          const again = yield* inbox.store([aChange(1), aChange(2)], 60)
          return { again, backlog: yield* inbox.backlog }
        })
      )
      expect(out.again).toEqual({ stored: 1, duplicates: 1 })
      expect(out.backlog).toEqual({ pending: 3, oldestReceivedAt: 50 })
    })

    test("a redelivery after publication is still a duplicate (HubSpot retries what it thinks failed)", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          yield* inbox.store(changes(0, 3), 50)
          yield* inbox.markPublished(yield* claim(inbox, "a", 100, 2))
          const again = yield* inbox.store(changes(0, 4), 200)
          return { again, backlog: yield* inbox.backlog }
        })
      )
      expect(out.again).toEqual({ stored: 1, duplicates: 3 })
      expect(out.backlog).toEqual({ pending: 2, oldestReceivedAt: 50 })
    })

    test("quarantine keeps undecodable payloads, many at once", async () => {
      await run((inbox) =>
        inbox.quarantine([
          { body: "{not json", reason: "decode failed", receivedAt: 1 },
          { body: '{"$gt":1,"a.b":2}', reason: "event 3 is not a HubSpot event", receivedAt: 1 }
        ])
      )
    })

    test("quarantined payloads are listed oldest first with ids, and released by id", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          const before = (yield* inbox.quarantined).length
          yield* inbox.quarantine([
            { body: "first", reason: "r1", receivedAt: 10 },
            { body: '{"$gt":1}', reason: "r2", receivedAt: 20 }
          ])
          const listed = (yield* inbox.quarantined).slice(before)
          yield* inbox.release([listed[0]!.id, "no-such-id", "0123456789abcdef01234567"])
          yield* inbox.release([])
          return { listed, after: (yield* inbox.quarantined).slice(before) }
        })
      )
      expect(out.listed.map((q) => [q.body, q.reason, q.receivedAt])).toEqual([
        ["first", "r1", 10],
        ['{"$gt":1}', "r2", 20]
      ])
      expect(new Set(out.listed.map((q) => q.id)).size).toBe(2)
      expect(out.after.map((q) => q.body)).toEqual(['{"$gt":1}'])
    })

    test("pendingFor lists the events still pending for these objects (changed or associated), oldest first; published ones are gone", async () => {
      const out = await run((inbox) =>
        Effect.gen(function* () {
          const association = aChange(502, {
            kind: "associationChange",
            objectType: "contact",
            objectId: "c-9",
            associatedObjectType: "company",
            associatedObjectId: "501"
          })
          yield* inbox.store([aChange(501, { occurredAt: 1 }), aChange(503)], 20)
          yield* inbox.store(
            [aChange(504, { objectId: "501", key: "k-501-later" }), association, aChange(501, { objectType: "contact", key: "k-contact-501" })],
            30
          )
          const before = yield* inbox.pendingFor("company", ["501", "nope"])
          const none = yield* inbox.pendingFor("company", [])
          const batch = yield* claim(inbox, "a", 100, 1)
          yield* inbox.markPublished(batch)
          return { before, none, after: yield* inbox.pendingFor("company", ["501"]), published: keys(batch) }
        })
      )
      // Same receivedAt: by key ("k…" before "sub-1…").
      expect(out.before.map((e) => [e.change.key, e.receivedAt])).toEqual([
        [aChange(501).key, 20],
        ["k-501-later", 30],
        [aChange(502).key, 30]
      ])
      expect(out.none).toEqual([])
      expect(out.published).toEqual([aChange(501).key])
      expect(out.after.map((e) => e.change.key).sort()).toEqual(["k-501-later", aChange(502).key].sort())
    })
  })
}
