import { describe, expect, it } from "bun:test"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemorySyncStore from "../../src/adapters/memory/InMemorySyncStore.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { SyncStore } from "../../src/application/ports/SyncStore.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"
import { aMessage, aStep, messageBusContract, recorder } from "../contract/MessageBus.contract.ts"

const makeLayer = () => InMemoryBus.layer.pipe(Layer.provideMerge(InMemorySyncStore.layer))

messageBusContract("InMemoryBus", makeLayer)

describe("InMemoryBus", () => {
  it("matches topic patterns like RabbitMQ", () => {
    expect(InMemoryBus.topicMatches("a.*.c", "a.b.c")).toBe(true)
    expect(InMemoryBus.topicMatches("a.*", "a.b.c")).toBe(false)
    expect(InMemoryBus.topicMatches("a.#", "a")).toBe(true)
    expect(InMemoryBus.topicMatches("#.c", "a.b.c")).toBe(true)
    expect(InMemoryBus.topicMatches("a.#.d", "a.b.c.d")).toBe(true)
    expect(InMemoryBus.topicMatches("a.b", "a.b.c")).toBe(false)
  })

  it("waits out retry tiers on the Effect clock (TestClock)", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const step = aStep("clock", { retryTiersMs: [60_000, 600_000], maxAttempts: 5 })
      const { seen, handler } = yield* recorder(() => new StepFailure({ retryable: true, reason: "busy" }))
      yield* bus.consume(step, handler)
      yield* bus.publish([aMessage("clock.tick")])
      const count = Effect.map(seen, (s) => s.length)
      yield* Effect.yieldNow
      expect(yield* count).toBe(1)
      yield* TestClock.adjust(59_999)
      expect(yield* count).toBe(1)
      yield* TestClock.adjust(1)
      expect(yield* count).toBe(2)
      yield* TestClock.adjust(600_000)
      expect(yield* count).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(makeLayer()), Effect.provide(TestClock.layer()), Effect.runPromise))

  it("parks a message whose handler keeps dying once the delivery limit is exceeded", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const store = yield* SyncStore
      const step = aStep("poison", { deliveryLimit: 2 })
      let calls = 0
      yield* bus.consume(step, (m) => (m.type === "poison.bad" ? Effect.sync(() => calls++).pipe(Effect.andThen(Effect.die("boom"))) : Effect.void))
      yield* bus.publish([aMessage("poison.bad")])
      yield* Effect.sleep(50)
      const parked = yield* store.listParked({ step: "poison" })
      expect(parked.map((p) => p.reason)).toEqual(["delivery limit 2 exceeded"])
      expect(calls).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(makeLayer()), Effect.runPromise))

  it("honours prefetch as the handler concurrency", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      let running = 0
      let peak = 0
      const handler = () =>
        Effect.sync(() => void (peak = Math.max(peak, ++running))).pipe(Effect.andThen(Effect.sleep(20)), Effect.ensuring(Effect.sync(() => running--)))
      yield* bus.consume(aStep("pf", { prefetch: 3 }), handler)
      yield* bus.publish(Array.from({ length: 12 }, () => aMessage("pf.x")))
      yield* Effect.sleep(200)
      expect(peak).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(makeLayer()), Effect.runPromise))
})

