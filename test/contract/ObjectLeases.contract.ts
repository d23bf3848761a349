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
  })
}
