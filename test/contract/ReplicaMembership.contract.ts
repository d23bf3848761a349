// The ReplicaMembership contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { ReplicaMembership } from "../../src/application/ports/ReplicaMembership.ts"
import { portRunner } from "./runPort.ts"

export const replicaMembershipContract = (name: string, makeLayer: () => Layer.Layer<ReplicaMembership, unknown>): void => {
  const run = portRunner(ReplicaMembership, makeLayer)

  describe(`ReplicaMembership contract: ${name}`, () => {
    test("a replica is live until its heartbeat expires; beating again extends it", async () => {
      const out = await run((m) =>
        Effect.gen(function* () {
          yield* m.beat({ replica: "b", now: 0, ttlMs: 5_000 })
          yield* m.beat({ replica: "a", now: 0, ttlMs: 5_000 })
          const both = yield* m.live(4_999)
          yield* m.beat({ replica: "a", now: 4_000, ttlMs: 5_000 })
          const onlyA = yield* m.live(5_000)
          const none = yield* m.live(9_000)
          return { both, onlyA, none }
        })
      )
      expect(out).toEqual({ both: ["a", "b"], onlyA: ["a"], none: [] })
    })

    test("a replica that leaves is gone at once; the others stay", async () => {
      const out = await run((m) =>
        Effect.gen(function* () {
          yield* m.beat({ replica: "a", now: 0, ttlMs: 5_000 })
          yield* m.beat({ replica: "b", now: 0, ttlMs: 5_000 })
          yield* m.leave("a")
          yield* m.leave("never-joined")
          return yield* m.live(1)
        })
      )
      expect(out).toEqual(["b"])
    })

    test("replicas beating at once each keep their own entry", async () => {
      const replicas = Array.from({ length: 12 }, (_, i) => `r-${String(i).padStart(2, "0")}`)
      const out = await run((m) =>
        Effect.gen(function* () {
          for (let round = 0; round < 3; round++) {
            yield* Effect.forEach(replicas, (replica) => m.beat({ replica, now: round * 1_000, ttlMs: 5_000 }), { concurrency: "unbounded", discard: true })
          }
          return yield* m.live(6_500)
        })
      )
      expect(out).toEqual(replicas)
    })
  })
}
