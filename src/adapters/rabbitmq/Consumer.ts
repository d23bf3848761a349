// A step consumer: its own channel (prefetch = step.prefetch), manual acks, re-attached after
// reconnects. Deliveries are gathered into batches for the step's BatchConsumer, one batch at a
// time; closing the scope cancels intake and waits for the batch in flight and its acks.
import type { Channel, ChannelModel } from "amqplib"
import { Effect, Fiber, FiberSet, Queue } from "effect"
import type { BatchConsumer, Settlement } from "../../application/ports/MessageBus.ts"
import { defaultBatchWindowMs, type Step } from "../../application/Step.ts"
import { gatherBatch } from "../shared/GatherBatch.ts"
import { decode } from "./Codec.ts"
import { unavailable } from "./ConfirmedPublish.ts"
import type { Session } from "./Session.ts"
import { type Publish, type Received, settleAll } from "./Settle.ts"
import { declareStep, type Names } from "./Topology.ts"

export interface Attached {
  readonly channel: Channel
  readonly consumerTag: string
}

export const consume = Effect.fn("RabbitMqBus.consume")(function* (
  deps: { readonly session: Session; readonly publish: Publish; readonly names: Names },
  step: Step,
  onBatch: BatchConsumer
) {
  const { session, publish, names } = deps
  const inFlight = yield* FiberSet.make<void>()
  const buffer = yield* Queue.unbounded<Received & { readonly delivery: ReturnType<typeof decode> }>()
  let current: Attached | undefined
  let stopping = false

  const handle = (batch: ReadonlyArray<Received & { readonly delivery: ReturnType<typeof decode> }>) =>
    onBatch(batch.map((r) => r.delivery)).pipe(
      Effect.catchCause((cause) =>
        Effect.logError(`consumer of ${step.name} died; returning its batch`, cause).pipe(Effect.as(batch.map((): Settlement => ({ _tag: "Return" }))))
      ),
      Effect.flatMap((settlements) => settleAll({ publish, names, step }, batch, settlements)),
      Effect.catchCause((cause) => Effect.logError(`settling on ${step.name} failed`, cause))
    )

  const attach = (model: ChannelModel) =>
    Effect.tryPromise({
      try: async () => {
        if (stopping) return
        const channel = await model.createChannel()
        channel.on("error", () => undefined)
        await channel.prefetch(step.prefetch)
        await declareStep(channel, names, step)
        const { consumerTag } = await channel.consume(names.stepQueue(step.name), (message) => {
          // null = the broker cancelled the consumer (queue deleted); the next reconnect re-attaches.
          if (message === null) return
          const delivery = decode(message)
          Queue.offerUnsafe(buffer, { channel, message, envelope: delivery.envelope, delivery })
        })
        current = { channel, consumerTag }
      },
      catch: unavailable
    })

  // Take and hand-off are uninterruptible so stopping never drops a gathered batch.
  const intake = Effect.uninterruptibleMask((restore) =>
    restore(gatherBatch(buffer, Math.max(1, step.prefetch), step.batchWindowMs ?? defaultBatchWindowMs)).pipe(
      Effect.flatMap((batch) => FiberSet.run(inFlight, handle(batch))),
      Effect.flatMap((fiber) => restore(Fiber.await(fiber)))
    )
  ).pipe(Effect.forever)

  yield* session.onConnect(attach)
  const loop = yield* Effect.forkScoped(intake)
  // Registered last, so it runs first: stop intake, drain in-flight work, then close the channel
  // (deliveries still buffered are unacked and return to the queue with it).
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      stopping = true
      const attached = current
      if (attached !== undefined) yield* Effect.promise(() => attached.channel.cancel(attached.consumerTag).catch(() => undefined))
      yield* Fiber.interrupt(loop)
      yield* FiberSet.awaitEmpty(inFlight)
      if (attached !== undefined) yield* Effect.promise(() => attached.channel.close().catch(() => undefined))
    })
  )
})
