// A step consumer of one of the step's partition queues: its own channel (prefetch = 2 batches),
// manual acks, re-attached after reconnects. Deliveries are gathered into batches for the step's
// BatchConsumer, one batch at a time; closing the scope stops intake, settles the batch in flight
// and what was received, and closes the channel.
import type { Channel, ChannelModel } from "amqplib"
import { Effect, Fiber, FiberSet, Queue } from "effect"
import type { BatchConsumer, Settlement } from "../../application/ports/MessageBus.ts"
import { defaultBatchWindowMs, type Step } from "../../application/Step.ts"
import { gatherBatch } from "../shared/GatherBatch.ts"
import { keepAttached } from "./Attachment.ts"
import { decode } from "./Codec.ts"
import type { Session } from "./Session.ts"
import { type Publish, type Received, settleAll } from "./Settle.ts"
import type { Names } from "./Topology.ts"

/** The queue a consumer reads, and how to declare it (idempotently) before consuming. */
export interface Source {
  readonly queue: string
  readonly declare: (channel: Channel) => Promise<void>
}

export const consume = Effect.fn("RabbitMqBus.consume")(function* (
  deps: { readonly session: Session; readonly publish: Publish; readonly names: Names },
  step: Step,
  onBatch: BatchConsumer,
  source: Source
) {
  const { session, publish, names } = deps
  const inFlight = yield* FiberSet.make<void>()
  const buffer = yield* Queue.unbounded<Received & { readonly delivery: ReturnType<typeof decode> }>()

  const handle = (batch: ReadonlyArray<Received & { readonly delivery: ReturnType<typeof decode> }>) =>
    onBatch(batch.map((r) => r.delivery)).pipe(
      Effect.catchCause((cause) =>
        Effect.logError(`consumer of ${step.name} died; returning its batch`, cause).pipe(Effect.as(batch.map((): Settlement => ({ _tag: "Return" }))))
      ),
      Effect.flatMap((settlements) => settleAll({ publish, names, step }, batch, settlements)),
      Effect.catchCause((cause) => Effect.logError(`settling on ${step.name} failed`, cause))
    )

  const open = async (model: ChannelModel) => {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    // Room for two batches: the next one arrives while this one is handled and settled.
    await channel.prefetch(step.prefetch * 2)
    await source.declare(channel)
    await channel.consume(source.queue, (message) => {
      // null = the broker cancelled the consumer (queue deleted, node down): close and re-attach.
      if (message === null) return void channel.close().catch(() => undefined)
      const delivery = decode(message)
      Queue.offerUnsafe(buffer, { channel, message, envelope: delivery.envelope, delivery })
    })
    return channel
  }

  // Take and hand-off are uninterruptible so stopping never drops a gathered batch.
  const intake = Effect.uninterruptibleMask((restore) =>
    gatherBatch(buffer, Math.max(1, step.prefetch), step.batchWindowMs ?? defaultBatchWindowMs, restore).pipe(
      Effect.flatMap((batch) => FiberSet.run(inFlight, handle(batch))),
      Effect.flatMap((fiber) => restore(Fiber.await(fiber)))
    )
  ).pipe(Effect.forever)

  const attachment = yield* keepAttached(session, source.queue, open)
  const loop = yield* Effect.forkScoped(intake)
  // Registered last, so it runs first: stop intake, finish the batch in flight and what was
  // received, then close the channel. No basic.cancel first: on a single-active-consumer queue
  // the broker makes the next consumer (another replica) active at the cancel, while this one
  // still handles what it received — two owners, out of order (seen on RabbitMQ 3.10). Closing
  // the channel is what hands over; what arrived after the snapshot goes back to the queue's head.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      attachment.stop()
      yield* Fiber.interrupt(loop)
      yield* FiberSet.awaitEmpty(inFlight)
      // What arrived before the hand-over is handled too: returned, it would count toward the limit.
      const rest = yield* Queue.clear(buffer).pipe(Effect.orDie)
      if (rest.length > 0) yield* handle(rest)
      const channel = attachment.current()
      if (channel !== undefined) yield* Effect.promise(() => channel.close().catch(() => undefined))
    })
  )
  return attachment
})
