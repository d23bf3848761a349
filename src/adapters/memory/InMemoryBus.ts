// An in-process MessageBus that behaves like the RabbitMQ topology: topic routing to step
// queues, prefetch, retry tiers as real (Clock) delays, parking, delivery limit for crashes.
// A routing key no step binds is accepted and dropped, like a topic exchange without bindings.
import { Cause, Clock, Effect, Exit, Fiber, FiberSet, Layer, Option, Queue, Semaphore } from "effect"
import { BusRejected, type Handler, MessageBus, MessageBusError } from "../../application/ports/MessageBus.ts"
import { SyncStore } from "../../application/ports/SyncStore.ts"
import { decideRetry, parkedItem } from "../../application/RetryDecision.ts"
import type { Envelope, OutgoingMessage, Step } from "../../application/Step.ts"
import type { StepFailure } from "../../application/StepFailure.ts"

interface Delivery {
  readonly envelope: Envelope
  /** Deliveries that ended without a settle (a crash); compared with x-delivery-limit. */
  readonly returns: number
  readonly firstFailedAt: number | undefined
}
interface StepQueue {
  readonly step: Step
  readonly queue: Queue.Queue<Delivery>
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

const fresh = (envelope: Envelope): Delivery => ({ envelope, returns: 0, firstFailedAt: undefined })

export const make = Effect.gen(function* () {
  const store = yield* SyncStore
  // Retry delays outlive a consumer (the message sits in a tier queue), so they run in the bus's scope.
  const busScope = yield* Effect.scope
  const queues = new Map<string, StepQueue>()

  const declare = (step: Step) =>
    Queue.unbounded<Delivery>().pipe(
      Effect.map((queue) => {
        const existing = queues.get(step.name)
        if (existing !== undefined) return existing
        const created: StepQueue = { step, queue }
        queues.set(step.name, created)
        return created
      })
    )

  const park = Effect.fnUntraced(function* (step: Step, delivery: Delivery, reason: string) {
    const now = yield* Clock.currentTimeMillis
    yield* store.park(parkedItem(step.name, delivery.envelope, reason, delivery.firstFailedAt ?? now, now))
  })

  const settle = Effect.fnUntraced(function* (target: StepQueue, delivery: Delivery, exit: Exit.Exit<void, StepFailure>) {
    if (Exit.isSuccess(exit)) return
    const { step, queue } = target
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isNone(failure)) {
      // A defect is treated like a crashed process: the delivery returns to the queue.
      const returned = { ...delivery, returns: delivery.returns + 1 }
      if (returned.returns > step.deliveryLimit) return yield* park(step, delivery, `delivery limit ${step.deliveryLimit} exceeded`)
      return yield* Queue.offer(queue, returned)
    }
    const now = yield* Clock.currentTimeMillis
    const decision = decideRetry(step, delivery.envelope.attempt, failure.value)
    if (decision._tag === "Park") return yield* park(step, delivery, decision.reason)
    const next: Delivery = {
      envelope: { ...delivery.envelope, attempt: delivery.envelope.attempt + 1 },
      returns: 0,
      firstFailedAt: delivery.firstFailedAt ?? now
    }
    yield* Effect.sleep(decision.delayMs).pipe(Effect.andThen(Queue.offer(queue, next)), Effect.forkIn(busScope))
  })

  const consume = Effect.fn("InMemoryBus.consume")(function* (step: Step, handler: Handler) {
    const target = yield* declare(step)
    const inFlight = yield* FiberSet.make<void>()
    const permits = yield* Semaphore.make(Math.max(1, step.prefetch))
    const handle = (delivery: Delivery) =>
      handler(delivery.envelope).pipe(
        Effect.exit,
        Effect.flatMap((exit) => settle(target, delivery, exit)),
        Effect.catchCause((cause) => Effect.logError("InMemoryBus: settle failed", cause)),
        Effect.ensuring(permits.release(1))
      )
    // Take and hand-off are uninterruptible so stopping never drops a message between the two.
    const intake = Effect.uninterruptibleMask((restore) =>
      restore(permits.take(1).pipe(Effect.andThen(Queue.take(target.queue)))).pipe(
        Effect.flatMap((delivery) => FiberSet.run(inFlight, handle(delivery)))
      )
    ).pipe(Effect.forever)
    const loop = yield* Effect.forkScoped(intake)
    // Registered last, so it runs first on close: stop intake, then let in-flight work finish.
    yield* Effect.addFinalizer(() => Fiber.interrupt(loop).pipe(Effect.andThen(FiberSet.awaitEmpty(inFlight))))
  })

  const publish = (messages: ReadonlyArray<OutgoingMessage>) =>
    Effect.sync(() => {
      for (const message of messages) {
        for (const { step, queue } of queues.values()) {
          if (step.bindings.some((binding) => topicMatches(binding, message.type))) {
            Queue.offerUnsafe(queue, fresh({ ...message, attempt: 1 }))
          }
        }
      }
    })

  const replay = (stepName: string, message: Envelope) => {
    const target = queues.get(stepName)
    if (target === undefined) {
      return Effect.fail(new MessageBusError({ reason: new BusRejected({ message: `no queue for step ${stepName}` }) }))
    }
    return Queue.offer(target.queue, fresh({ ...message, attempt: 1 })).pipe(Effect.asVoid)
  }

  return MessageBus.of({ publish, consume, replay })
})

export const layer: Layer.Layer<MessageBus, never, SyncStore> = Layer.effect(MessageBus, make)
