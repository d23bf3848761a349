// A step's consumer of the partition queues this process holds: one channel per held partition
// (prefetch = one batch), manual acks, re-attached after reconnects. Deliveries of every held
// partition are gathered into the step's batches, one batch at a time, so a replica holding many
// partitions still hands the flow batches as large as one queue would (HubSpot calls are per
// batch). Each index has a queue per lane (issue 10), and each lane its own intake loop: a live
// batch never waits for a backfill batch to be gathered or handled, and a backfill batch starts
// only when no live delivery waits. A batch holds the keys of the objects it touches (KeyLocks,
// shared by every step): a batch of either lane or another step about one of them waits.
import type { Channel, ChannelModel } from "amqplib"
import { Effect, Exit, Fiber, FiberSet, Scope } from "effect"
import type { LaneName } from "../../application/Lane.ts"
import type { BatchConsumer, Delivery, MessageBusError, Settlement } from "../../application/ports/MessageBus.ts"
import { batchWindowOf, type Step } from "../../application/Step.ts"
import type { KeyLocks } from "../shared/KeyLocks.ts"
import * as LaneBuffer from "../shared/LaneBuffer.ts"
import { type Attachment, keepAttached } from "./Attachment.ts"
import { decode } from "./Codec.ts"
import { keyOf } from "./Partitioner.ts"
import type { Session } from "./Session.ts"
import { type Publish, type Received, settleAll } from "./Settle.ts"
import { declarePartition, lanes, type Names } from "./Topology.ts"

interface Item extends Received {
  readonly delivery: Delivery
  /** The partition index the delivery came from. */
  readonly k: number
  /** The lane of the queue it came from. */
  readonly lane: LaneName
  /** The object it is about (its partition key). */
  readonly key: string
}

export interface StepConsumer {
  /** Starts taking partition `k`'s deliveries (both lanes' queues) into this step's batches. */
  readonly attach: (k: number) => Effect.Effect<void, MessageBusError>
  /**
   * Stops taking partition `k`: the batch in flight is settled; later deliveries, and those
   * buffered but not yet handed to the flow, are left unacked; then the channel closes
   * (returning the unacked to the queue's head, in order). No basic.cancel
   * first: on a single-active-consumer queue the broker makes the next consumer (another
   * replica) active at the cancel while this one still handles what it took — two owners, out of
   * order (seen on RabbitMQ 3.10). Closing the channel is what hands over.
   */
  readonly release: (k: number) => Effect.Effect<void>
  /** True while partition `k`'s channels are attached (as the active consumer or a standby). */
  readonly attached: (k: number) => boolean
}

export const make = Effect.fn("RabbitMqBus.stepConsumer")(function* (
  deps: {
    readonly session: Session
    readonly publish: Publish
    readonly names: Names
    readonly locks: KeyLocks
    /** Tracks an attachment for readiness for as long as the scope it is given lasts. */
    readonly track: (attachment: Attachment) => Effect.Effect<void, never, Scope.Scope>
  },
  step: Step,
  onBatch: BatchConsumer
) {
  const { session, publish, names, locks } = deps
  const inFlight = yield* FiberSet.make<void>()
  const buffer = yield* LaneBuffer.make<Item>((i) => i.lane)
  /** Deliveries taken and not settled yet, per partition: a release waits for 0. */
  const pending = new Map<number, number>()
  /** Partitions whose deliveries are taken. */
  const taking = new Set<number>()
  const sources = new Map<number, { readonly scope: Scope.Closeable; readonly attachments: ReadonlyArray<Attachment> }>()
  const bump = (k: number, by: number) => void pending.set(k, (pending.get(k) ?? 0) + by)

  const handle = (batch: ReadonlyArray<Item>) =>
    locks
      .holding(
        batch.map((i) => i.key),
        onBatch(batch.map((i) => i.delivery)).pipe(
          Effect.catchCause((cause) =>
            Effect.logError(`consumer of ${step.name} died; returning its batch`, cause).pipe(Effect.as(batch.map((): Settlement => ({ _tag: "Return" }))))
          ),
          Effect.flatMap((settlements) => settleAll({ publish, names, step }, batch, settlements)),
          Effect.catchCause((cause) => Effect.logError(`settling on ${step.name} failed`, cause))
        )
      )
      .pipe(
        Effect.ensuring(
          Effect.sync(() => {
            for (const i of batch) bump(i.k, -1)
          })
        )
      )

  const open = (k: number, lane: LaneName) => async (model: ChannelModel) => {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    // One batch per partition and lane: a replica holding many partitions has many channels.
    await channel.prefetch(Math.max(1, step.prefetch))
    await declarePartition(channel, names, step, k, lane)
    await channel.consume(names.partitionQueue(step.name, k, lane), (message) => {
      // null = the broker cancelled the consumer (queue deleted, node down): close and re-attach.
      if (message === null) return void channel.close().catch(() => undefined)
      // Released: left unacked, it goes back to the queue when the channel closes.
      if (!taking.has(k)) return
      bump(k, 1)
      const delivery = decode(message)
      buffer.offer({ channel, message, envelope: delivery.envelope, delivery, k, lane, key: keyOf(step, message, delivery) })
    })
    return channel
  }

  const closeChannel = (channel: Channel | undefined) => (channel === undefined ? Effect.void : Effect.promise(() => channel.close().catch(() => undefined)))

  const attach = (k: number) =>
    Effect.gen(function* () {
      if (sources.has(k)) return
      taking.add(k)
      const scope = yield* Scope.make()
      const attachments = yield* Effect.forEach(lanes, (lane) =>
        keepAttached(session, names.partitionQueue(step.name, k, lane), open(k, lane)).pipe(Effect.tap(deps.track))
      ).pipe(
        Scope.provide(scope),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
      sources.set(k, { scope, attachments })
    })

  const release = (k: number) =>
    Effect.gen(function* () {
      const source = sources.get(k)
      if (source === undefined) return
      taking.delete(k)
      // k's buffered deliveries are not handled (left unacked, they go back with the channel);
      // the intake loop goes on and k's batch in flight settles.
      for (const _ of buffer.remove((i) => i.k === k)) bump(k, -1)
      while ((pending.get(k) ?? 0) > 0) yield* Effect.sleep(5)
      sources.delete(k)
      for (const attachment of source.attachments) attachment.stop()
      yield* Effect.forEach(source.attachments, (attachment) => closeChannel(attachment.current()), { discard: true })
      yield* Scope.close(source.scope, Exit.void)
    })

  // Deliveries of a partition released since they were taken are not handled: left unacked,
  // they go back to the queue's head when its channel closes (after the batch in flight), so a
  // release waits for one batch, not for everything buffered (SIGTERM within ~10 s).
  const stillTaken = (batch: ReadonlyArray<Item>) => {
    const kept = batch.filter((i) => taking.has(i.k))
    for (const i of batch) if (!taking.has(i.k)) bump(i.k, -1)
    return kept
  }

  // Take and hand-off are uninterruptible so stopping never drops a gathered batch. One loop per
  // lane, each one batch at a time.
  const intake = (lane: LaneName) =>
    Effect.uninterruptibleMask((restore) =>
      buffer.take(lane, Math.max(1, step.prefetch), batchWindowOf(step, lane), restore).pipe(
        Effect.map(stillTaken),
        Effect.flatMap((batch) =>
          batch.length === 0 ? Effect.void : FiberSet.run(inFlight, handle(batch)).pipe(Effect.flatMap((fiber) => restore(Fiber.await(fiber))))
        )
      )
    ).pipe(Effect.forever)
  const loops = yield* Effect.forEach(lanes, (lane) => Effect.forkScoped(intake(lane)))
  // Closing the scope releases every partition (the loop still running settles what was taken),
  // then stops the loop.
  yield* Effect.addFinalizer(() =>
    Effect.forEach([...sources.keys()], release, { concurrency: "unbounded", discard: true }).pipe(
      Effect.andThen(Fiber.interruptAll(loops)),
      Effect.andThen(FiberSet.awaitEmpty(inFlight))
    )
  )

  return {
    attach: (k) => attach(k).pipe(Effect.onError(() => Effect.sync(() => void taking.delete(k)))),
    release,
    attached: (k) => sources.get(k)?.attachments.every((attachment) => attachment.current() !== undefined) === true
  } satisfies StepConsumer
})
