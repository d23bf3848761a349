// The ParkedItems contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type ParkedItem, ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { portRunner } from "./runPort.ts"

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
const ids = (items: ReadonlyArray<ParkedItem>) => items.map((i) => i.id)

export const parkedItemsContract = (name: string, makeLayer: () => Layer.Layer<ParkedItems, unknown>): void => {
  const run = portRunner(ParkedItems, makeLayer)

  describe(`ParkedItems contract: ${name}`, () => {
    test("parks many at once; parking an id again replaces it", async () => {
      const many = Array.from({ length: 30 }, (_, i) => aParked(`m${String(i).padStart(2, "0")}`, { lastFailedAt: 1000 + i }))
      const out = await run((p) =>
        Effect.gen(function* () {
          yield* p.park(many)
          yield* p.park([aParked("m03", { lastFailedAt: 5000, attempts: 4, reason: "again" }), aParked("m04", { lastFailedAt: 5001 })])
          yield* p.park([])
          return yield* p.list({})
        })
      )
      expect(out).toHaveLength(30)
      expect(ids(out).slice(-2)).toEqual(["m03", "m04"])
      expect(out[28]).toEqual(aParked("m03", { lastFailedAt: 5000, attempts: 4, reason: "again" }))
      expect(out[0]).toEqual(many[0]!)
    })

    test("concurrent parks of one id leave one item", async () => {
      const out = await run((p) =>
        Effect.gen(function* () {
          yield* Effect.all(
            [1, 2, 3, 4].map((n) => p.park([aParked("same", { attempts: n })])),
            { concurrency: "unbounded" }
          )
          return yield* p.list({})
        })
      )
      expect(ids(out)).toEqual(["same"])
    })

    test("an item parked again at or after the replay's start is not marked replayed", async () => {
      const out = await run((p) =>
        Effect.gen(function* () {
          yield* p.park([aParked("old", { lastFailedAt: 100 }), aParked("again", { lastFailedAt: 500 })])
          yield* p.markReplayed(["old", "again"], 400)
          return (yield* p.list({})).map((i) => i.id)
        })
      )
      expect(out).toEqual(["again"])
    })

    test("filters by step, type and time range, and hides replayed ones", async () => {
      const out = await run((p) =>
        Effect.gen(function* () {
          yield* p.park([
            aParked("p1", { lastFailedAt: 150 }),
            aParked("p2", { lastFailedAt: 200, step: "sync-contact" }),
            aParked("p3", { lastFailedAt: 300, message: { ...aParked("p3").message, type: "commerce.user_created" } })
          ])
          yield* p.markReplayed(["p3", "unknown"], 999)
          yield* p.markReplayed([], 1)
          return {
            all: ids(yield* p.list({})),
            step: ids(yield* p.list({ step: "sync-contact" })),
            type: ids(yield* p.list({ type: "commerce.user_created", includeReplayed: true })),
            range: ids(yield* p.list({ from: 150, to: 300, includeReplayed: true })),
            replayed: (yield* p.list({ includeReplayed: true })).find((i) => i.id === "p3")?.replayedAt
          }
        })
      )
      expect(out.all).toEqual(["p1", "p2"])
      expect(out.step).toEqual(["p2"])
      expect(out.type).toEqual(["p3"])
      expect(out.range).toEqual(["p1", "p2"])
      expect(out.replayed).toBe(999)
    })

    test("discards with a note: hidden from the default list, kept with its note; parking it again revives it", async () => {
      const out = await run((p) =>
        Effect.gen(function* () {
          yield* p.park([aParked("d1"), aParked("d2"), aParked("d3")])
          yield* p.discard(["d1", "d2", "unknown"], "bad data upstream, fixed by hand", 777)
          yield* p.discard([], "nothing", 1)
          const visible = ids(yield* p.list({}))
          const d1 = (yield* p.list({ includeReplayed: true })).find((i) => i.id === "d1")
          yield* p.park([aParked("d2", { lastFailedAt: 900 })])
          return { visible, d1, after: ids(yield* p.list({})) }
        })
      )
      expect(out.visible).toEqual(["d3"])
      expect(out.d1?.discarded).toEqual({ at: 777, note: "bad data upstream, fixed by hand" })
      expect(out.after).toEqual(["d3", "d2"])
    })
  })
}
