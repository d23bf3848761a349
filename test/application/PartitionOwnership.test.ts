// Ownership of partition indexes through the membership store: replicas split the indexes, a
// replica that leaves or stops beating hands its share to the others.
import { expect, test } from "bun:test"
import { Effect, Layer, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryReplicaMembership from "../../src/adapters/memory/InMemoryReplicaMembership.ts"
import * as PartitionOwnership from "../../src/application/PartitionOwnership.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { ReplicaMembership } from "../../src/application/ports/ReplicaMembership.ts"

const options = (replica: string) => ({ replica, intervalMs: 1_000, ttlMs: 5_000 })
const all = [0, 1, 2, 3, 4, 5, 6, 7]

test("replicas split the indexes; one that leaves or stops beating hands its share over", async () => {
  const out = await Effect.runPromise(
    Effect.gen(function* () {
      const membership = yield* ReplicaMembership
      // Each replica has its own bus; they share the membership store.
      const busA = yield* InMemoryBus.makeWith(8)
      const busB = yield* InMemoryBus.makeWith(8)
      const busC = yield* InMemoryBus.makeWith(8)
      const round = (replica: string, bus: typeof busA) =>
        PartitionOwnership.rebalance(options(replica)).pipe(Effect.provideService(MessageBus, bus), Effect.provideService(ReplicaMembership, membership))
      const alone = yield* round("a", busA)
      yield* round("b", busB)
      const a2 = yield* round("a", busA)
      const b2 = yield* round("b", busB)
      // c runs as a layer: closing it releases its indexes and leaves at once.
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(
        PartitionOwnership.layer(options("c")).pipe(
          Layer.provide(Layer.mergeAll(Layer.succeed(MessageBus, busC), Layer.succeed(ReplicaMembership, membership)))
        ),
        scope
      )
      const [a3, b3] = [yield* round("a", busA), yield* round("b", busB)]
      const c3 = yield* busC.held
      yield* Scope.close(scope, Effect.void as never)
      const cAfter = yield* busC.held
      const [a4, b4] = [yield* round("a", busA), yield* round("b", busB)]
      // b stops beating (killed): once its heartbeat expires, a takes everything.
      yield* TestClock.adjust(4_000)
      const a5 = yield* round("a", busA)
      yield* TestClock.adjust(2_000)
      const a6 = yield* round("a", busA)
      return { alone, a2, b2, a3, b3, c3, cAfter, a4, b4, a5, a6, heldA: yield* busA.held }
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(InMemoryReplicaMembership.layer, TestClock.layer())))
  )
  const union = (...lists: ReadonlyArray<ReadonlyArray<number>>) => lists.flat().sort((x, y) => x - y)
  expect(out.alone).toEqual(all)
  expect(union(out.a2, out.b2)).toEqual(all)
  expect(out.a2.length).toBe(4)
  expect(union(out.a3, out.b3, out.c3)).toEqual(all)
  expect(out.c3.length).toBeGreaterThan(1)
  expect(out.cAfter).toEqual([])
  expect(union(out.a4, out.b4)).toEqual(all)
  expect(out.a5).toEqual(out.a4)
  expect(out.a6).toEqual(all)
  expect(out.heldA).toEqual(all)
})
