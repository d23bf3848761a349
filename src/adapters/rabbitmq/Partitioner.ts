// The partitioner hop (issue 12): competing consumers on a step's intake queue, on every replica,
// move each message to the step's partition queue of its key and lane (issue 10),
// `<prefix>.step.<step>.p<k>` for live and `….p<k>.backfill` for the backfill, and ack it only
// once the broker confirmed the copy. A crash between the two leaves a duplicate in
// the partition queue, which the flows absorb (at least once, never lost).
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib"
import { Effect, Fiber, FiberSet, Queue, Schedule } from "effect"
import { partitionOf } from "../../application/Partitioning.ts"
import type { Delivery } from "../../application/ports/MessageBus.ts"
import type { Step } from "../../application/Step.ts"
import { gatherBatch } from "../shared/GatherBatch.ts"
import { keepAttached } from "./Attachment.ts"
import { decode, Headers, stringHeader } from "./Codec.ts"
import type { Publication } from "./ConfirmedPublish.ts"
import type { Session } from "./Session.ts"
import { ack, giveBack, type Publish, type Received } from "./Settle.ts"
import { declareStep, type Names } from "./Topology.ts"

/**
 * Moving is cheap (no handler), the confirm round trip is not: big batches spread it (bench:bus
 * consumed 3.5k msg/s at prefetch 100 with 500 a batch, 2.3k with 100, on a loaded machine).
 */
const BATCH = 500
const WINDOW_MS = 5

/**
 * The key a message is partitioned by: the one its publisher stamped, else the step's reading of
 * the envelope, else its id (no order to keep). Taken once, from the delivery decoded at intake.
 */
export const keyOf = (step: Step, message: ConsumeMessage, delivery: Delivery): string =>
  stringHeader(message, Headers.partitionKey) ?? (delivery.undecodable ? undefined : step.partitionKeyOf?.(delivery.envelope)) ?? delivery.envelope.id

// The broker's own bookkeeping of the intake queue's deliveries must not follow the copy.
const dropped = new Set([
  "x-death",
  "x-first-death-exchange",
  "x-first-death-queue",
  "x-first-death-reason",
  "x-last-death-exchange",
  "x-last-death-queue",
  "x-last-death-reason",
  "x-delivery-count"
])

/** The copy for the partition queue: same body, id, type, time and application headers. */
export const copyTo = (queue: string, message: ConsumeMessage): Publication => {
  const { properties } = message
  const headers = Object.fromEntries(Object.entries(properties.headers ?? {}).filter(([name]) => !dropped.has(name)))
  return {
    exchange: "",
    routingKey: queue,
    content: message.content,
    options: {
      persistent: true,
      // A partition queue that is missing (deleted by hand) must fail the move, not drop the message.
      mandatory: true,
      contentType: properties.contentType,
      messageId: properties.messageId,
      type: properties.type,
      timestamp: properties.timestamp,
      headers
    }
  }
}

/** A delivery on its way to its partition: an undecodable one goes to the live lane (and is parked there). */
type Moving = Received & { readonly key: string }

// A short publishing outage is waited out (as settling does) before the batch goes back.
const moveRetry = Schedule.exponential("100 millis", 2)

export const run = Effect.fn("RabbitMqBus.partitioner")(function* (
  deps: { readonly session: Session; readonly publish: Publish; readonly names: Names; readonly partitions: number },
  step: Step
) {
  const { session, publish, names, partitions } = deps
  const buffer = yield* Queue.unbounded<Moving>()
  const inFlight = yield* FiberSet.make<void>()
  const tags = new WeakMap<Channel, string>()

  const move = (batch: ReadonlyArray<Moving>) =>
    publish(batch.map((r) => copyTo(names.partitionQueue(step.name, partitionOf(r.key, partitions), r.envelope.lane), r.message))).pipe(
      Effect.retry({ schedule: moveRetry, times: 7, while: (error) => error.isRetryable }),
      Effect.andThen(Effect.forEach(batch, ack, { discard: true })),
      Effect.catchCause((cause) =>
        Effect.logError(`partitioning ${batch.length} messages of ${step.name} failed; returning them`, cause).pipe(
          Effect.andThen(Effect.forEach(batch, giveBack, { discard: true }))
        )
      )
    )

  const open = async (model: ChannelModel) => {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    await channel.prefetch(BATCH * 2)
    await declareStep(channel, names, step, partitions)
    const { consumerTag } = await channel.consume(names.stepQueue(step.name), (message) => {
      if (message === null) return void channel.close().catch(() => undefined)
      const delivery = decode(message)
      Queue.offerUnsafe(buffer, { channel, message, envelope: delivery.envelope, key: keyOf(step, message, delivery) })
    })
    tags.set(channel, consumerTag)
    return channel
  }

  const attachment = yield* keepAttached(session, `${names.stepQueue(step.name)} (partitioner)`, open)
  const loop = yield* Effect.forkScoped(
    Effect.uninterruptibleMask((restore) =>
      gatherBatch(buffer, BATCH, WINDOW_MS, restore).pipe(
        Effect.flatMap((batch) => FiberSet.run(inFlight, move(batch))),
        Effect.flatMap((fiber) => restore(Fiber.await(fiber)))
      )
    ).pipe(Effect.forever)
  )
  // Stop intake, let the batch being moved finish and move what was buffered too: returned by a
  // closing channel, it would count toward the intake queue's delivery limit.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      attachment.stop()
      const channel = attachment.current()
      const tag = channel === undefined ? undefined : tags.get(channel)
      if (channel !== undefined && tag !== undefined) yield* Effect.promise(() => channel.cancel(tag).catch(() => undefined))
      yield* Fiber.interrupt(loop)
      yield* FiberSet.awaitEmpty(inFlight)
      const rest = yield* Queue.clear(buffer).pipe(Effect.orDie)
      if (rest.length > 0) yield* move(rest)
      if (channel !== undefined) yield* Effect.promise(() => channel.close().catch(() => undefined))
    })
  )
  return attachment
})
