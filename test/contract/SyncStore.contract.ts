// The SyncStore contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import type { CrmChange } from "../../src/domain/CrmChange.ts"
import { type ParkedItem, SyncStore } from "../../src/application/ports/SyncStore.ts"

const aChange = (n: number, over: Partial<CrmChange> = {}): CrmChange => ({
  key: `sub-1:company:${n}:evt-${n}:1000`,
  objectType: "company",
  objectId: String(n),
  kind: "propertyChange",
  occurredAt: 1000 + n,
  propertyName: "name",
  propertyValue: `Acme ${n}`,
  ...over
})
const aParked = (id: string, over: Partial<ParkedItem> = {}): ParkedItem => ({
  id,
  step: "sync-company",
  message: { id, type: "crm.company.changed", payload: { $weird: "x", "a.b": 1 }, occurredAt: 1, lane: "live", attempt: 3 },
  reason: "400 bad input",
  attempts: 3,
  firstFailedAt: 100,
  lastFailedAt: 200,
  replayedAt: undefined,
  ...over
})

export const syncStoreContract = (name: string, makeLayer: () => Layer.Layer<SyncStore, unknown>): void => {
  const run = <A>(f: (store: SyncStore["Service"]) => Effect.Effect<A, unknown>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return yield* f(yield* SyncStore)
      }).pipe(Effect.provide(makeLayer()))
    )

  describe(`SyncStore contract: ${name}`, () => {
    test("stores each event once, even when delivered 5× concurrently", async () => {
      const events = [aChange(1), aChange(2), aChange(3)]
      const [results, pending] = await run((s) =>
        Effect.all([Effect.all(Array.from({ length: 5 }, () => s.storeChanges(events, 10)), { concurrency: "unbounded" }), s.countPending])
      )
      expect(results.reduce((sum, r) => sum + r.stored, 0)).toBe(3)
      expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(12)
      expect(pending).toBe(3)
    })

    test("two concurrent claimers never get the same event; a lease expires; published is final", async () => {
      const keys = Array.from({ length: 20 }, (_, i) => aChange(i).key)
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.storeChanges(Array.from({ length: 20 }, (_, i) => aChange(i)), 10)
          const [a, b] = yield* Effect.all([s.claimPending(15, "a", 100, 1000), s.claimPending(15, "b", 100, 1000)], { concurrency: 2 })
          const during = yield* s.claimPending(50, "c", 500, 1000)
          yield* s.markPublished(keys.slice(0, 10))
          const after = yield* s.claimPending(50, "c", 2000, 1000)
          return { a, b, during, after, pending: yield* s.countPending }
        })
      )
      const claimed = [...out.a, ...out.b].map((p) => p.change.key)
      expect(new Set(claimed).size).toBe(claimed.length)
      expect(out.during.filter((p) => claimed.includes(p.change.key))).toEqual([])
      expect(out.after.map((p) => p.change.key).sort()).toEqual(keys.slice(10).sort())
      expect(out.pending).toBe(10)
    })

    test("quarantine accepts undecodable bodies", async () => {
      await run((s) => s.quarantine("{not json", "decode failed", 1))
    })

    test("parked items filter by step, type and time range, and hide replayed ones", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.park(aParked("p1", { lastFailedAt: 100 }))
          yield* s.park(aParked("p2", { lastFailedAt: 200, step: "sync-contact" }))
          yield* s.park(aParked("p3", { lastFailedAt: 300, message: { ...aParked("p3").message, type: "commerce.user_created" } }))
          yield* s.park(aParked("p1", { lastFailedAt: 150, attempts: 4 })) // re-parked: replaced
          yield* s.markReplayed(["p3"], 999)
          const ids = (items: ReadonlyArray<ParkedItem>) => items.map((i) => i.id)
          return {
            all: yield* s.listParked({}),
            step: ids(yield* s.listParked({ step: "sync-contact" })),
            type: ids(yield* s.listParked({ type: "commerce.user_created", includeReplayed: true })),
            range: ids(yield* s.listParked({ from: 150, to: 300, includeReplayed: true })),
            replayed: (yield* s.listParked({ includeReplayed: true })).find((i) => i.id === "p3")?.replayedAt
          }
        })
      )
      expect(out.all.map((i) => i.id)).toEqual(["p1", "p2"])
      expect(out.all[0]).toEqual(aParked("p1", { lastFailedAt: 150, attempts: 4 }))
      expect(out.step).toEqual(["p2"])
      expect(out.type).toEqual(["p3"])
      expect(out.range).toEqual(["p1", "p2"])
      expect(out.replayed).toBe(999)
    })
  })
}
