// Live sync goes first at every hop (issue 10 #4): while live work runs in a process, the backfill
// lane's operations wait for it, at most the gate's longest wait; live never waits.
import { expect, test } from "bun:test"
import { Deferred, Effect, Fiber } from "effect"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { Lane, type LaneName } from "../../src/application/Lane.ts"
import * as LiveFirst from "../../src/application/LiveFirst.ts"
import type { Delivery } from "../../src/application/ports/MessageBus.ts"
import type { Step } from "../../src/application/Step.ts"
import { settleBatch } from "../../src/application/StepRunner.ts"
import { waitsForLive } from "../support/LiveFirstProbe.ts"

/** Forks an operation of `lane` (what an adapter runs first) and tells whether it got through. */
const operation = (lane: LaneName) =>
  Effect.gen(function* () {
    const through = { done: false }
    const fiber = yield* LiveFirst.liveFirst.pipe(Effect.andThen(Effect.sync(() => (through.done = true))), Effect.provideService(Lane, lane), Effect.forkChild)
    return { through, fiber }
  })

const gated =
  (maxWaitMs: number) =>
  <A, E>(self: Effect.Effect<A, E, never>) =>
    Effect.runPromise(Effect.provide(self, LiveFirst.layer(maxWaitMs)))

test("a backfill operation waits while live work runs and goes on once it ends", async () => {
  expect(await waitsForLive(LiveFirst.liveFirst, 50)).toEqual({ waited: true, finished: true })
})

test("live operations never wait, and neither does the backfill when no live work runs", async () => {
  const out = await gated(60_000)(
    Effect.gen(function* () {
      const idle = yield* operation("backfill")
      yield* Fiber.join(idle.fiber)
      const release = yield* Deferred.make<void>()
      yield* LiveFirst.asLive(Deferred.await(release)).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      const live = yield* operation("live")
      yield* Fiber.join(live.fiber)
      yield* Deferred.succeed(release, undefined)
      return { idle: idle.through.done, live: live.through.done }
    })
  )
  expect(out).toEqual({ idle: true, live: true })
})

test("the gate stays closed until the last of overlapping live work ends, also when one fails", async () => {
  const out = await gated(60_000)(
    Effect.gen(function* () {
      const first = yield* Deferred.make<void>()
      const second = yield* Deferred.make<void>()
      yield* LiveFirst.asLive(Deferred.await(first)).pipe(Effect.forkChild)
      const failing = yield* LiveFirst.asLive(Effect.andThen(Deferred.await(second), Effect.fail("boom"))).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      const backfill = yield* operation("backfill")
      yield* Deferred.succeed(second, undefined)
      yield* Fiber.await(failing)
      yield* Effect.sleep(30)
      const oneLeft = backfill.through.done
      yield* Deferred.succeed(first, undefined)
      yield* Fiber.join(backfill.fiber)
      return { oneLeft, none: backfill.through.done }
    })
  )
  expect(out).toEqual({ oneLeft: false, none: true })
})

test("a backfill operation waits at most the gate's longest wait: a live flood slows it, never stops it", async () => {
  const waited = await gated(100)(
    Effect.gen(function* () {
      yield* LiveFirst.asLive(Effect.never).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      const started = Date.now()
      yield* Effect.provideService(LiveFirst.liveFirst, Lane, "backfill")
      return Date.now() - started
    })
  )
  expect(waited).toBeGreaterThanOrEqual(90)
  expect(waited).toBeLessThan(1_000)
})

test("no gate without the service's layer, or with a longest wait of 0: nothing waits", async () => {
  const run = (self: Effect.Effect<number>) => Effect.runPromise(self)
  const timed = Effect.gen(function* () {
    yield* LiveFirst.asLive(Effect.never).pipe(Effect.forkChild)
    yield* Effect.yieldNow
    const started = Date.now()
    yield* Effect.provideService(LiveFirst.liveFirst, Lane, "backfill")
    return Date.now() - started
  })
  expect(await run(timed)).toBeLessThan(50)
  expect(await run(Effect.provide(timed, LiveFirst.layer(0)))).toBeLessThan(50)
})

const step: Step = { name: "s", bindings: [], retryTiersMs: [100], maxAttempts: 3, deliveryLimit: 2, prefetch: 10 }
const delivery = (id: string, lane: LaneName): Delivery => ({
  envelope: { id, type: "t", payload: {}, occurredAt: 0, lane, attempt: 1 },
  firstFailedAt: undefined,
  undecodable: false
})

test("a step's live batch is live work; a backfill batch is not", async () => {
  const blocks = (lane: LaneName) =>
    gated(60_000)(
      Effect.gen(function* () {
        const release = yield* Deferred.make<void>()
        const batch = yield* settleBatch(step, (ms) =>
          Effect.as(
            Deferred.await(release),
            ms.map(() => undefined)
          )
        )([delivery("a", lane)]).pipe(Effect.forkChild)
        yield* Effect.sleep(20)
        const backfill = yield* operation("backfill")
        yield* Effect.sleep(50)
        const blocked = !backfill.through.done
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(batch)
        yield* Fiber.join(backfill.fiber)
        return blocked
      }).pipe(Effect.provide(InMemoryParkedItems.layer))
    )
  expect(await blocks("live")).toBe(true)
  expect(await blocks("backfill")).toBe(false)
})
