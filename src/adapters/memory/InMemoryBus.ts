// An in-process MessageBus that behaves like the RabbitMQ topology: topic routing to step
// queues, batches of up to prefetch gathered for the step's window (one lane's, live first),
// retry tiers as real (Clock) delays, a delivery limit for crashes whose dead letters go to the
// recorder.
// A routing key no step binds is accepted and dropped, like a topic exchange without bindings;
// except a message for the platform (`tocommerce.*`): its kinds have a declared queue (here a
// sink: in memory there is no platform), and one that reaches no queue fails the publish.
import { Effect, Fiber, FiberSet, Layer, Queue } from "effect"
import { isShopBound, shopBoundKinds } from "../../application/CommerceMessages.ts"
import type { LaneName } from "../../application/Lane.ts"
import {
  type BatchConsumer,
  BusRejected,
  type DeadLetter,
  type Delivery,
  MessageBus,
  MessageBusError,
  type Settlement
} from "../../application/ports/MessageBus.ts"
import { gatherBatch } from "../shared/GatherBatch.ts"
import * as KeyLocks from "../shared/KeyLocks.ts"
import * as LaneBuffer from "../shared/LaneBuffer.ts"

const shopKinds = new Set(shopBoundKinds)

import { batchWindowOf, type Envelope, type OutgoingMessage, type Step } from "../../application/Step.ts"

interface Held extends Delivery {
  /** Deliveries that ended without a settle (a crash); compared with the delivery limit. */
  readonly returns: number
}
interface StepQueue {
  readonly step: Step
  /** Live deliveries are handed over before any backfill one, as the lanes' partition queues do. */
  readonly queue: LaneBuffer.LaneBuffer<Held>
  /** Messages waiting out a retry tier, by its delay. */
  readonly waiting: Map<number, number>
  consumers: number
}

/** AMQP topic matching: `*` is exactly one word, `#` zero or more. */
export const topicMatches = (pattern: string, key: string): boolean => {
  const go = (p: ReadonlyArray<string>, k: ReadonlyArray<string>): boolean => {
    const [head, ...rest] = p
    if (head === undefined) return k.length === 0
    if (head === "#") return go(rest, k) || (k.length > 0 && go(p, k.slice(1)))
    return k.length > 0 && (head === "*" || head === k[0]) && go(rest, k.slice(1))
  }
  return go(pattern.split("."), key.split("."))
}

const fresh = (envelope: Envelope): Held => ({ envelope, firstFailedAt: undefined, undecodable: false, returns: 0 })

/**
 * One process owns every partition: each step keeps its one queue, consumed one batch at a time,
 * which already keeps each key's order. `assign` only changes what `held` reports.
 */
export const makeWith = Effect.fnUntraced(function* (partitions: number) {
  // Retry delays outlive a consumer (the message sits in a tier queue), so they run in the bus's scope.
  const busScope = yield* Effect.scope
  const queues = new Map<string, StepQueue>()
  const deadLetters = yield* Queue.unbounded<DeadLetter>()
  /** Parked messages are dropped here (ParkedItems keeps them); counted as parking's depth. */
  let parkedCount = 0

  const declare = (step: Step) =>
    LaneBuffer.make<Held>((held) => held.envelope.lane).pipe(
      Effect.map((queue) => {
        const existing = queues.get(step.name)
        if (existing !== undefined) return existing
        const created: StepQueue = { step, queue, waiting: new Map(), consumers: 0 }
        queues.set(step.name, created)
        return created
      })
    )

  const settleOne = (target: StepQueue, held: Held, settlement: Settlement): Effect.Effect<void> => {
    const { step, queue } = target
    switch (settlement._tag) {
      case "Ack":
        return Effect.void
      case "Park":
        return Effect.sync(() => void parkedCount++)
      case "Return": {
        const returned = { ...held, returns: held.returns + 1 }
        if (returned.returns <= step.deliveryLimit) return Effect.sync(() => queue.offer(returned))
        const reason = `delivery limit ${step.deliveryLimit} exceeded`
        return Queue.offer(deadLetters, { step: step.name, envelope: held.envelope, reason, firstFailedAt: held.firstFailedAt }).pipe(Effect.asVoid)
      }
      case "Retry": {
        const next: Held = {
          envelope: { ...held.envelope, attempt: settlement.attempt },
          firstFailedAt: settlement.firstFailedAt,
          undecodable: false,
          returns: 0
        }
        const tier = (n: number) => target.waiting.set(settlement.delayMs, (target.waiting.get(settlement.delayMs) ?? 0) + n)
        return Effect.sync(() => tier(1)).pipe(
          Effect.andThen(Effect.sleep(settlement.delayMs)),
          Effect.andThen(Effect.sync(() => queue.offer(next))),
          Effect.ensuring(Effect.sync(() => tier(-1))),
          Effect.forkIn(busScope),
          Effect.asVoid
        )
      }
    }
  }

  // One lock per object key, as on RabbitMQ: a batch holds the keys of every message it has, and a
  // batch of either lane or another step about one of them waits. Flows A and C of one pair never
  // overlap.
  const locks = KeyLocks.make()
  const keysOf = (step: Step, batch: ReadonlyArray<Held>) =>
    batch.map(({ envelope }) => envelope.partitionKey ?? step.partitionKeyOf?.(envelope) ?? envelope.id)

  // A batch consumer that dies is a crashed consumer: every delivery of the batch is returned.
  const handle = (target: StepQueue, batch: ReadonlyArray<Held>, onBatch: BatchConsumer) =>
    locks.holding(keysOf(target.step, batch), onBatch(batch)).pipe(
      Effect.catchCause((cause) =>
        Effect.logError(`InMemoryBus: ${target.step.name} consumer died; returning its batch`, cause).pipe(
          Effect.as(batch.map((): Settlement => ({ _tag: "Return" })))
        )
      ),
      Effect.flatMap((settlements) => Effect.forEach(batch, (held, i) => settleOne(target, held, settlements[i] ?? { _tag: "Return" }), { discard: true }))
    )

  const consume = Effect.fn("InMemoryBus.consume")(function* (step: Step, onBatch: BatchConsumer) {
    const target = yield* declare(step)
    const inFlight = yield* FiberSet.make<void>()
    // Take and hand-off are uninterruptible so stopping never drops a message between the two;
    // one batch at a time per lane, so at most `prefetch` deliveries of each are unsettled.
    const intake = (lane: LaneName) =>
      Effect.uninterruptibleMask((restore) =>
        target.queue.take(lane, Math.max(1, step.prefetch), batchWindowOf(step, lane), restore).pipe(
          Effect.flatMap((batch) => FiberSet.run(inFlight, handle(target, batch, onBatch))),
          Effect.flatMap((fiber) => restore(Fiber.await(fiber)))
        )
      ).pipe(Effect.forever)
    const loops = yield* Effect.forEach(["live", "backfill"] as const, (lane) => Effect.forkScoped(intake(lane)))
    target.consumers++
    yield* Effect.addFinalizer(() => Effect.sync(() => void target.consumers--))
    // Registered last, so it runs first on close: stop intake, then let in-flight work finish.
    yield* Effect.addFinalizer(() => Fiber.interruptAll(loops).pipe(Effect.andThen(FiberSet.awaitEmpty(inFlight))))
  })

  const drainDeadLetters = <E>(record: (letters: ReadonlyArray<DeadLetter>) => Effect.Effect<void, E>) =>
    Effect.gen(function* () {
      const recordOrKeep = (letters: ReadonlyArray<DeadLetter>) =>
        record(letters).pipe(
          Effect.catchCause((cause) =>
            Effect.logWarning("InMemoryBus: recording dead letters failed; keeping them", cause).pipe(
              Effect.andThen(Effect.sleep(1_000)),
              Effect.andThen(Queue.offerAll(deadLetters, letters))
            )
          )
        )
      yield* Effect.forkScoped(gatherBatch(deadLetters, 100, 0, (effect) => effect).pipe(Effect.flatMap(recordOrKeep), Effect.forever))
    })

  const bound = (type: string) => [...queues.values()].filter(({ step }) => step.bindings.some((binding) => topicMatches(binding, type)))
  const publish = (messages: ReadonlyArray<OutgoingMessage>) =>
    Effect.suspend(() => {
      const unroutable = messages.filter((m) => isShopBound(m.type) && !shopKinds.has(m.type) && bound(m.type).length === 0)
      if (unroutable.length > 0) {
        return Effect.fail(
          new MessageBusError({ reason: new BusRejected({ message: `unroutable: no queue for ${[...new Set(unroutable.map((m) => m.type))].join(", ")}` }) })
        )
      }
      for (const message of messages) for (const { queue } of bound(message.type)) queue.offer(fresh({ ...message, attempt: 1 }))
      return Effect.void
    })

  const replay = (stepName: string, message: Envelope) => {
    const target = queues.get(stepName)
    if (target === undefined) {
      return Effect.fail(new MessageBusError({ reason: new BusRejected({ message: `no queue for step ${stepName}` }) }))
    }
    return Effect.sync(() => target.queue.offer(fresh({ ...message, attempt: 1 })))
  }

  const depths = Effect.sync(() => [
    ...[...queues.values()].flatMap(({ step, queue, waiting, consumers }) => [
      { step: step.name, queue: "main", messages: queue.size(), consumers },
      ...[...new Set(step.retryTiersMs)].map((delayMs) => ({
        step: step.name,
        queue: `retry-${delayMs}ms`,
        messages: waiting.get(delayMs) ?? 0,
        consumers: 0
      })),
      // No partition queues in one process: the row is there so both adapters list the same queues.
      { step: step.name, queue: "partitions", messages: 0, consumers: 0 }
    ]),
    { step: undefined, queue: "parking", messages: parkedCount, consumers: 0 },
    { step: undefined, queue: "dead-letters", messages: Queue.sizeUnsafe(deadLetters), consumers: 0 }
  ])

  let held: ReadonlyArray<number> = Array.from({ length: partitions }, (_, k) => k)
  const assign = (indexes: ReadonlyArray<number>) =>
    Effect.sync(() => {
      held = [...new Set(indexes.filter((k) => Number.isInteger(k) && k >= 0 && k < partitions))].sort((a, b) => a - b)
    })

  return MessageBus.of({
    publish,
    consume,
    deadLetters: drainDeadLetters,
    replay,
    depths,
    ready: Effect.succeed(true),
    partitions,
    assign,
    held: Effect.sync(() => held)
  })
})

export const make = makeWith(8)

export const layer: Layer.Layer<MessageBus> = Layer.effect(MessageBus, make)
export const layerWith = (partitions: number): Layer.Layer<MessageBus> => Layer.effect(MessageBus, makeWith(partitions))
