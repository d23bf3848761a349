// The ObjectLeases contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { ObjectLeases } from "../../src/application/ports/ObjectLeases.ts"
import { portRunner } from "./runPort.ts"

const sorted = (keys: ReadonlySet<string>) => [...keys].sort()

export const objectLeasesContract = (name: string, makeLayer: () => Layer.Layer<ObjectLeases, unknown>): void => {
  const run = portRunner(ObjectLeases, makeLayer)

  describe(`ObjectLeases contract: ${name}`, () => {
    test("one holder at a time per object; the rest of a batch is taken", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          const a = yield* l.take({ keys: ["user:1", "user:2"], holder: "a", now: 0, leaseMs: 1000 })
          const b = yield* l.take({ keys: ["user:2", "user:3", "user:3"], holder: "b", now: 10, leaseMs: 1000 })
          return { a: sorted(a), b: sorted(b) }
        })
      )
      expect(out).toEqual({ a: ["user:1", "user:2"], b: ["user:3"] })
    })

    test("a released lease is free at once; releasing another holder's lease does nothing", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.take({ keys: ["user:1", "user:2"], holder: "a", now: 0, leaseMs: 1000 })
          yield* l.release(["user:1", "user:2"], "intruder")
          const blocked = yield* l.take({ keys: ["user:1"], holder: "b", now: 10, leaseMs: 1000 })
          yield* l.release(["user:1"], "a")
          const free = yield* l.take({ keys: ["user:1", "user:2"], holder: "b", now: 20, leaseMs: 1000 })
          return { blocked: sorted(blocked), free: sorted(free) }
        })
      )
      expect(out).toEqual({ blocked: [], free: ["user:1"] })
    })

    test("an expired lease (a crashed holder) is taken over, by one of two takers", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.take({ keys: ["user:1"], holder: "crashed", now: 0, leaseMs: 100 })
          const [b, c] = yield* Effect.all(
            [l.take({ keys: ["user:1"], holder: "b", now: 500, leaseMs: 100 }), l.take({ keys: ["user:1"], holder: "c", now: 500, leaseMs: 100 })],
            { concurrency: "unbounded" }
          )
          return [b.size, c.size].sort()
        })
      )
      expect(out).toEqual([0, 1])
    })

    // A backfill page takes a thousand keys at once (the Mongo adapter holds them as one set).
    const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => `user:${from + i}`)

    test("a page-sized take leaves out the keys others hold, and its keys are held from small and large takes until released", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.take({ keys: ["user:5"], holder: "live", now: 0, leaseMs: 1000 })
          const big = yield* l.take({ keys: page(0, 200), holder: "page", now: 10, leaseMs: 1000 })
          const small = yield* l.take({ keys: ["user:7", "user:500"], holder: "live2", now: 20, leaseMs: 1000 })
          const other = yield* l.take({ keys: page(150, 100), holder: "page2", now: 30, leaseMs: 1000 })
          yield* l.release(page(0, 200), "page")
          const after = yield* l.take({ keys: ["user:7"], holder: "live3", now: 40, leaseMs: 1000 })
          return { big: big.size, hasFive: big.has("user:5"), small: sorted(small), other: other.size, otherHas: other.has("user:150"), after: sorted(after) }
        })
      )
      expect(out).toEqual({ big: 199, hasFive: false, small: ["user:500"], other: 50, otherHas: false, after: ["user:7"] })
    })

    test("a page-sized take of an expired holder's keys takes them; its own keys are free again once it expires", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.take({ keys: ["user:1"], holder: "crashed", now: 0, leaseMs: 100 })
          const big = yield* l.take({ keys: page(0, 100), holder: "page", now: 500, leaseMs: 100 })
          const later = yield* l.take({ keys: ["user:1", "user:2"], holder: "live", now: 1000, leaseMs: 100 })
          return { big: big.size, later: sorted(later) }
        })
      )
      expect(out).toEqual({ big: 100, later: ["user:1", "user:2"] })
    })

    test("a small and a page-sized take of one key at once: never both hold it", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          const rounds = yield* Effect.forEach(
            [0, 1, 2, 3, 4, 5, 6, 7],
            (round) =>
              Effect.gen(function* () {
                const keys = page(round * 1000, 100)
                const [small, big] = yield* Effect.all(
                  [
                    l.take({ keys: [`user:${round * 1000 + 42}`], holder: `live-${round}`, now: 0, leaseMs: 1000 }),
                    l.take({ keys, holder: `page-${round}`, now: 0, leaseMs: 1000 })
                  ],
                  { concurrency: "unbounded" }
                )
                return small.size + (big.has(`user:${round * 1000 + 42}`) ? 1 : 0)
              }),
            { concurrency: "unbounded" }
          )
          return rounds.every((n) => n <= 1)
        })
      )
      expect(out).toBe(true)
    })
  })
}
