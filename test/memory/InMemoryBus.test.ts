import { describe, expect, it } from "bun:test"
import { Effect, Exit, Layer, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"
import { recordDeadLetters } from "../../src/application/StepRunner.ts"
import { aMessage, aStep, consume, messageBusContract, recorder } from "../contract/MessageBus.contract.ts"

const makeLayer = () => InMemoryBus.layer

messageBusContract("InMemoryBus", makeLayer)

const withParking = () => Layer.merge(InMemoryBus.layer, InMemoryParkedItems.layer)

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
      const step = aStep("clock", { retryTiersMs: [60_000, 600_000], maxAttempts: 5, batchWindowMs: 0 })
      const { seen, handler } = yield* recorder(() => new StepFailure({ retryable: true, reason: "busy" }))
      yield* consume(step, handler)
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
    }).pipe(Effect.scoped, Effect.provide(withParking()), Effect.provide(TestClock.layer()), Effect.runPromise))

  it("a DAILY-quota pause cycles through the longest tier without growing the attempt (TestClock)", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const step = aStep("pause", { retryTiersMs: [1_000, 600_000], maxAttempts: 2, batchWindowMs: 0 })
      const quota = new StepFailure({ retryable: true, reason: "daily quota", retryAfterMs: 6 * 3600 * 1000 })
      const { seen, handler } = yield* recorder(() => quota)
      yield* consume(step, handler)
      yield* bus.publish([aMessage("pause.x")])
      yield* Effect.yieldNow
      for (let i = 0; i < 36; i++) yield* TestClock.adjust(600_000)
      const attempts = (yield* seen).map((m) => m.attempt)
      expect(attempts.length).toBe(37)
      expect(new Set(attempts)).toEqual(new Set([1]))
      expect(yield* (yield* ParkedItems).list({})).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(withParking()), Effect.provide(TestClock.layer()), Effect.runPromise))

  it("dead-letters a message whose handler keeps dying once the delivery limit is exceeded", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const store = yield* ParkedItems
      yield* recordDeadLetters()
      const step = aStep("poison", { deliveryLimit: 2 })
      let calls = 0
      yield* consume(step, (m) => (m.type === "poison.bad" ? Effect.sync(() => calls++).pipe(Effect.andThen(Effect.die("boom"))) : Effect.void))
      yield* bus.publish([aMessage("poison.bad")])
      yield* Effect.sleep(150)
      const parked = yield* store.list({ step: "poison" })
      expect(parked.map((p) => p.reason)).toEqual(["delivery limit 2 exceeded"])
      expect(calls).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(withParking()), Effect.runPromise))

  it("keeps a dead letter until it is recorded", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      let failures = 2
      const recorded: Array<string> = []
      yield* bus.deadLetters((letters) =>
        failures-- > 0 ? Effect.fail("store down") : Effect.sync(() => void recorded.push(...letters.map((l) => `${l.step}:${l.envelope.type}`)))
      )
      yield* bus.consume(aStep("dl", { deliveryLimit: 0, batchWindowMs: 0 }), (batch) => Effect.succeed(batch.map(() => ({ _tag: "Return" as const }))))
      yield* bus.publish([aMessage("dl.x")])
      yield* Effect.yieldNow
      for (let i = 0; i < 3 && recorded.length === 0; i++) yield* TestClock.adjust(1_000)
      expect(recorded).toEqual(["dl:dl.x"])
    }).pipe(Effect.scoped, Effect.provide(InMemoryBus.layer), Effect.provide(TestClock.layer()), Effect.runPromise))

  it("hands at most prefetch messages to one batch and one batch at a time", () =>
    Effect.gen(function* () {
      let running = 0
      let peak = 0
      const handler = () =>
        Effect.sync(() => void (peak = Math.max(peak, ++running))).pipe(Effect.andThen(Effect.sleep(20)), Effect.ensuring(Effect.sync(() => running--)))
      yield* consume(aStep("pf", { prefetch: 3 }), handler)
      yield* (yield* MessageBus).publish(Array.from({ length: 12 }, () => aMessage("pf.x")))
      yield* Effect.sleep(200)
      expect(peak).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(withParking()), Effect.runPromise))

  it("stopping a consumer while it gathers a batch still hands the gathered messages over", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const { seen, handler } = yield* recorder()
      const scope = yield* Scope.make()
      yield* consume(aStep("gathering", { batchWindowMs: 300 }), handler).pipe(Scope.provide(scope))
      yield* bus.publish([aMessage("gathering.x")])
      yield* Effect.sleep(50) // taken, and the window is still open
      yield* Scope.close(scope, Exit.void)
      expect((yield* seen).map((m) => m.type)).toEqual(["gathering.x"])
    }).pipe(Effect.scoped, Effect.provide(withParking()), Effect.runPromise))
})
