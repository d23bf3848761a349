import { expect, test } from "bun:test"
import { Clock, Effect, Layer, Queue } from "effect"
import { TestClock } from "effect/testing"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryIdLinks from "../../src/adapters/memory/InMemoryIdLinks.ts"
import * as InMemoryMetrics from "../../src/adapters/memory/InMemoryMetrics.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { OutboxSignal } from "../../src/application/OutboxSignal.ts"
import { BusUnavailable, MessageBus, MessageBusError } from "../../src/application/ports/MessageBus.ts"
import { WebhookInbox } from "../../src/application/ports/WebhookInbox.ts"
import { relayOnce, runFresh, runRelay } from "../../src/application/RelayOutbox.ts"
import type { Envelope, Step } from "../../src/application/Step.ts"
import { TakenEvents } from "../../src/application/TakenEvents.ts"
import type { CrmChange } from "../../src/domain/CrmChange.ts"
import { ackEach } from "../support/AckEach.ts"

const options = { claimant: "test", batchSize: 2, leaseMs: 30_000, idleMs: 10 }
const change = (n: number): CrmChange => ({
  key: `k${n}`,
  objectType: "company",
  objectId: String(n),
  kind: "propertyChange",
  occurredAt: 1000 + n,
  propertyName: "name"
})
const step: Step = { name: "sync-company", bindings: ["crm.company.*"], retryTiersMs: [50], maxAttempts: 3, deliveryLimit: 5, prefetch: 10 }

const Live = InMemoryBus.layer.pipe(Layer.provideMerge(Layer.merge(InMemoryWebhookInbox.layer, InMemoryIdLinks.layer)))

/** The in-memory bus, refusing every publish while `down()` says so; with the inbox and links it needs. */
const flakyLive = (down: () => boolean) =>
  Layer.effect(
    MessageBus,
    Effect.map(MessageBus, (bus) =>
      MessageBus.of({
        ...bus,
        publish: (messages) => (down() ? Effect.fail(new MessageBusError({ reason: new BusUnavailable({ message: "broker down" }) })) : bus.publish(messages))
      })
    )
  ).pipe(Layer.provideMerge(InMemoryBus.layer), Layer.provideMerge(Layer.merge(InMemoryWebhookInbox.layer, InMemoryIdLinks.layer)))

/** What the relay publishes for `step`, as a queue the test takes from. */
const consumed = Effect.gen(function* () {
  const seen = yield* Queue.unbounded<Envelope>()
  yield* (yield* MessageBus).consume(
    step,
    ackEach((m) => Queue.offer(seen, m))
  )
  return seen
})

test("stored changes are published in batches with their routing key and marked published", async () => {
  const received = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const inbox = yield* WebhookInbox
        const seen = yield* consumed
        yield* inbox.store([change(1), change(2), change(3)], 0)
        expect(yield* relayOnce(options)).toBe(2)
        expect(yield* relayOnce(options)).toBe(1)
        expect(yield* relayOnce(options)).toBe(0)
        expect((yield* inbox.backlog).pending).toBe(0)
        return [yield* Queue.take(seen), yield* Queue.take(seen), yield* Queue.take(seen)]
      })
    ).pipe(Effect.provide(Live))
  )
  expect(received.map((m) => [m.id, m.type])).toEqual([
    ["k1", "crm.company.propertyChange"],
    ["k2", "crm.company.propertyChange"],
    ["k3", "crm.company.propertyChange"]
  ])
})

test("when the broker refuses, the events stay pending and go out once it is back", async () => {
  let down = true
  await Effect.runPromise(
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      yield* inbox.store([change(1)], 0)
      const failed = yield* Effect.flip(relayOnce({ ...options, leaseMs: 0 }))
      expect(failed._tag).toBe("MessageBusError")
      expect((yield* inbox.backlog).pending).toBe(1)
      down = false
      expect(yield* relayOnce({ ...options, leaseMs: 0 })).toBe(1)
      expect((yield* inbox.backlog).pending).toBe(0)
    }).pipe(Effect.provide(flakyLive(() => down)))
  )
})

test("the running relay publishes as soon as intake signals, without waiting for its idle poll", async () => {
  const elapsed = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const inbox = yield* WebhookInbox
        const signal = yield* OutboxSignal
        const seen = yield* consumed
        yield* Effect.forkScoped(runRelay({ ...options, idleMs: 60_000 }))
        yield* Effect.sleep("50 millis") // the relay found nothing and is idle now
        const started = performance.now()
        yield* inbox.store([change(9)], 0)
        yield* signal.notify
        yield* Queue.take(seen).pipe(Effect.timeout("5 seconds"))
        return performance.now() - started
      })
    ).pipe(Effect.provide(Layer.merge(Live, OutboxSignal.layer)))
  )
  expect(elapsed).toBeLessThan(1000)
})

test("what intake stored goes out by the fast path at once, even while another relay holds the claim lease", async () => {
  const out = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const inbox = yield* WebhookInbox
        const signal = yield* OutboxSignal
        const seen = yield* consumed
        const now = yield* Clock.currentTimeMillis
        // Another replica claimed the backlog and holds the lease for an hour: the claim loop waits.
        yield* inbox.store([change(1)], now)
        yield* inbox.claim({ limit: 10, claimant: "other", now, leaseMs: 3_600_000 })
        const taken = new TakenEvents()
        yield* Effect.forkScoped(runRelay(options, taken))
        yield* Effect.forkScoped(runFresh(options, taken))
        yield* inbox.store([change(2)], now)
        yield* signal.stored([{ change: change(2), receivedAt: now }])
        const first = yield* Queue.take(seen).pipe(Effect.timeout("5 seconds"))
        yield* Effect.sleep("50 millis") // its mark
        return { first: first.id, pending: (yield* inbox.backlog).pending, more: yield* Queue.size(seen) }
      })
    ).pipe(Effect.provide(Layer.merge(Live, OutboxSignal.layer)))
  )
  // k1 stays with the replica that claimed it; k2 went out once and is no longer pending.
  expect(out).toEqual({ first: "k2", pending: 1, more: 0 })
})

test("a fast path that fails tries again: the broker back, the event goes out without waiting for the claim loop's grace", async () => {
  let down = true
  const out = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const inbox = yield* WebhookInbox
        const signal = yield* OutboxSignal
        const seen = yield* consumed
        const now = yield* Clock.currentTimeMillis
        const taken = new TakenEvents()
        const relay = { ...options, freshGraceMs: 60_000 }
        yield* Effect.forkScoped(runRelay(relay, taken))
        yield* Effect.forkScoped(runFresh(relay, taken))
        yield* inbox.store([change(4)], now)
        yield* signal.stored([{ change: change(4), receivedAt: now }])
        yield* Effect.sleep("300 millis")
        down = false
        const first = yield* Queue.take(seen).pipe(Effect.timeout("5 seconds"))
        yield* Effect.sleep("50 millis")
        return { first: first.id, pending: (yield* inbox.backlog).pending }
      })
    ).pipe(
      Effect.provide(
        Layer.merge(
          flakyLive(() => down),
          OutboxSignal.layer
        )
      )
    )
  )
  expect(out).toEqual({ first: "k4", pending: 0 })
})

test("with a grace, the claim loop leaves events that young to the fast path and takes older ones over", async () => {
  const out = await Effect.runPromise(
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const now = yield* Clock.currentTimeMillis
      yield* inbox.store([change(1)], now - 500)
      const young = yield* relayOnce({ ...options, freshGraceMs: 60_000 })
      yield* inbox.store([change(2)], now - 61_000)
      const old = yield* relayOnce({ ...options, freshGraceMs: 60_000 })
      const left = yield* inbox.pendingFor("company", ["1", "2"])
      return { young, old, left: left.map((e) => e.change.key) }
    }).pipe(Effect.provide(Live))
  )
  expect(out).toEqual({ young: 0, old: 1, left: ["k1"] })
})

test("the claim loop leaves what the fast path is publishing, and only marks what that published already", async () => {
  const out = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const inbox = yield* WebhookInbox
        const seen = yield* consumed
        yield* inbox.store([change(1), change(2), change(3)], 0)
        const taken = new TakenEvents()
        const pending = (n: number) => [{ change: change(n), receivedAt: 0 }]
        taken.take(pending(1)) // the fast path is publishing k1
        taken.take(pending(2))
        taken.done(pending(2)) // it published k2, and its mark failed: k2 is still pending
        const sent = yield* relayOnce({ ...options, batchSize: 10 }, taken)
        const out = yield* Queue.take(seen).pipe(Effect.timeout("5 seconds"))
        yield* Effect.sleep("20 millis")
        const left = yield* inbox.pendingFor("company", ["1", "2", "3"])
        return { sent, published: out.id, more: yield* Queue.size(seen), left: left.map((e) => e.change.key) }
      })
    ).pipe(Effect.provide(Live))
  )
  expect(out).toEqual({ sent: 1, published: "k3", more: 0, left: ["k1"] })
})

test("a backlog goes out in batches of hundreds, one publish per batch, without idling between batches", async () => {
  const publishes: Array<number> = []
  const CountingBus = Layer.effect(
    MessageBus,
    Effect.map(MessageBus, (bus) =>
      MessageBus.of({
        ...bus,
        publish: (messages) =>
          Effect.andThen(
            Effect.sync(() => publishes.push(messages.length)),
            bus.publish(messages)
          )
      })
    )
  ).pipe(Layer.provide(InMemoryBus.layer))
  const backlog = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const inbox = yield* WebhookInbox
        yield* inbox.store(
          Array.from({ length: 1200 }, (_, i) => change(i)),
          0
        )
        // Idle polls of a minute: only draining without waiting finishes within the timeout.
        yield* Effect.forkScoped(runRelay({ ...options, batchSize: 500, idleMs: 60_000 }))
        return yield* Effect.gen(function* () {
          for (;;) {
            const b = yield* inbox.backlog
            if (b.pending === 0) return b
            yield* Effect.sleep("10 millis")
          }
        }).pipe(Effect.timeout("5 seconds"))
      })
    ).pipe(Effect.provide(Layer.mergeAll(CountingBus, Layer.merge(InMemoryWebhookInbox.layer, InMemoryIdLinks.layer), OutboxSignal.layer)))
  )
  expect(backlog.pending).toBe(0)
  expect(publishes).toEqual([500, 500, 200])
})

test("the relay counts what it published and observes each event's lag from receipt to publish", async () => {
  const metrics = InMemoryMetrics.make()
  await Effect.runPromise(
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      yield* inbox.store([change(1), change(2)], 1_000)
      yield* TestClock.setTime(4_000)
      yield* relayOnce({ ...options, batchSize: 10 })
    }).pipe(Effect.provide(Layer.merge(Live, InMemoryMetrics.layer(metrics))), Effect.provide(TestClock.layer()))
  )
  expect(await Effect.runPromise(metrics.total("outbox_published_total"))).toBe(2)
  expect(metrics.observations("outbox_lag_seconds")).toEqual([3, 3])
})
