// The SyncStore contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer, Option } from "effect"
import { type ParkedItem, SyncStore } from "../../src/application/ports/SyncStore.ts"

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
    test("an older snapshot never overwrites a newer one", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          const v5 = yield* s.saveSnapshot({ type: "company", id: "1", version: 5, data: { name: "five" } })
          const v3 = yield* s.saveSnapshot({ type: "company", id: "1", version: 3, data: { name: "three" } })
          const same = yield* s.saveSnapshot({ type: "company", id: "1", version: 5, data: { name: "five again" } })
          const sameStored = yield* s.getSnapshot("company", "1")
          const racing = yield* Effect.all([6, 9, 7, 8].map((version) => s.saveSnapshot({ type: "company", id: "1", version, data: { version } })), { concurrency: "unbounded" })
          return { v5, v3, same, sameStored, racing, stored: yield* s.getSnapshot("company", "1"), none: yield* s.getSnapshot("contact", "1") }
        })
      )
      expect([out.v5, out.v3, out.same]).toEqual(["newer", "older", "same"])
      // An equal version replaces the data: associations change without a new version.
      expect(Option.getOrThrow(out.sameStored).data).toEqual({ name: "five again" })
      expect(out.racing).toContain("newer")
      expect(Option.getOrThrow(out.stored)).toEqual({ type: "company", id: "1", version: 9, data: { version: 9 } })
      expect(Option.isNone(out.none)).toBe(true)
    })

    test("links are unique per side, looked up both ways, and repointed on merge", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.link("business", "c1", "b1")
          yield* s.link("business", "c2", "b1") // re-link: b1 moves from c1 to c2
          yield* s.link("user", "c1", "u1") // another entity is independent
          const moved = [yield* s.commerceIdOf("business", "c1"), yield* s.crmIdOf("business", "b1")]
          yield* s.link("business", "c3", "b3")
          yield* s.repoint("business", ["c3"], "c9")
          const repointed = [yield* s.crmIdOf("business", "b3"), yield* s.commerceIdOf("business", "c3"), yield* s.commerceIdOf("business", "c9")]
          yield* s.repoint("business", ["c2"], "c9") // c9 already linked: c2 keeps b1
          return { moved, repointed, kept: yield* s.commerceIdOf("business", "c2"), user: yield* s.commerceIdOf("user", "c1") }
        })
      )
      expect(out.moved).toEqual([Option.none(), Option.some("c2")])
      expect(out.repointed).toEqual([Option.some("c9"), Option.none(), Option.some("b3")])
      expect(out.kept).toEqual(Option.some("b1"))
      expect(out.user).toEqual(Option.some("u1"))
    })

    test("the write ledger recognises echoes until they expire", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.recordWrites([{ side: "crm", objectKey: "company:1", property: "name", valueHash: "h1", expiresAt: 5000 }])
          return [
            yield* s.isEcho("crm", "company:1", "name", "h1", 4999),
            yield* s.isEcho("crm", "company:1", "name", "h1", 5000),
            yield* s.isEcho("commerce", "company:1", "name", "h1", 10),
            yield* s.isEcho("crm", "company:1", "name", "other", 10)
          ]
        })
      )
      expect(out).toEqual([true, false, false, false])
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

    test("checkpoints round-trip and are replaced", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          const none = yield* s.loadCheckpoint("run-1")
          yield* s.saveCheckpoint({ runId: "run-1", cursor: undefined, enqueued: 0, done: false, updatedAt: 1 })
          yield* s.saveCheckpoint({ runId: "run-1", cursor: "after:500", enqueued: 500, done: false, updatedAt: 2 })
          return { none, loaded: yield* s.loadCheckpoint("run-1") }
        })
      )
      expect(Option.isNone(out.none)).toBe(true)
      expect(out.loaded).toEqual(Option.some({ runId: "run-1", cursor: "after:500", enqueued: 500, done: false, updatedAt: 2 }))
    })
  })
}
