// MessageBus on RabbitMQ 3.10+ (no plugins): confirmed persistent publishes to a topic exchange,
// quorum step queues with retry tiers and parking, per-object partitions with single active
// consumers, reconnecting session. See docs/topology.md.
import type { Channel, ChannelModel } from "amqplib"
import { Effect, Layer, Semaphore } from "effect"
import { isShopBound, shopBoundKinds } from "../../application/CommerceMessages.ts"
import { liveFirst } from "../../application/LiveFirst.ts"
import { type BatchConsumer, BusRejected, type DeadLetter, MessageBus, MessageBusError, type QueueDepth } from "../../application/ports/MessageBus.ts"
import type { Envelope, OutgoingMessage, Step } from "../../application/Step.ts"
import * as KeyLocks from "../shared/KeyLocks.ts"
import type { Attachment } from "./Attachment.ts"
import { encode, Headers } from "./Codec.ts"
import { type Publication, publishConfirmed, unavailable } from "./ConfirmedPublish.ts"
import * as Consumer from "./Consumer.ts"
import * as DeadLetters from "./DeadLetters.ts"
import * as Partitioner from "./Partitioner.ts"
import * as Session from "./Session.ts"
import { declareShared, declareShopQueues, declareStep, lanes, names as namesFor } from "./Topology.ts"

/** Channels a depth check spreads its queues over (each answers one passive check at a time). */
const DEPTH_CHANNELS = 4

export interface RabbitMqBusConfig {
  readonly url: string
  /** Prefix of every exchange and queue name, e.g. "crm-sync". */
  readonly prefix: string
  /** Declared at start, so events published before a consumer attaches are kept. */
  readonly steps?: ReadonlyArray<Step>
  readonly heartbeatSeconds?: number
  readonly reconnectMaxDelayMs?: number
  /** A publish whose confirms have not all arrived by then fails as BusUnavailable (default 15 s). */
  readonly confirmTimeoutMs?: number
  /** Partition queues per step (default 8); every replica must use the same number. */
  readonly partitions?: number
  /**
   * The partition indexes consumed from the start (default: all, as a lone process needs); a
   * replica among several starts with none and is assigned its share (PartitionOwnership).
   */
  readonly owned?: ReadonlyArray<number>
  /** Named in the connections' names (the replica id), so an operator can tell replicas apart. */
  readonly replica?: string
}

export const make = Effect.fn("RabbitMqBus.make")(function* (config: RabbitMqBusConfig) {
  const names = namesFor(config.prefix)
  const known = new Map<string, Step>((config.steps ?? []).map((step) => [step.name, step]))
  const sessionFor = (role: string) =>
    Session.make({
      url: config.url,
      heartbeatSeconds: config.heartbeatSeconds ?? 10,
      reconnectMaxDelayMs: config.reconnectMaxDelayMs ?? 5_000,
      connectionName: `crm-sync ${config.prefix} ${role}${config.replica === undefined ? "" : ` ${config.replica}`}`
    })
  // Separate connections: a resource alarm blocks publishing connections, and consumers must
  // keep acking (which frees the broker) while publishers wait.
  const publishing = yield* sessionFor("publish")
  const consuming = yield* sessionFor("consume")
  const confirmTimeoutMs = config.confirmTimeoutMs ?? 15_000
  const partitions = Math.max(1, config.partitions ?? 8)
  const attachments = new Set<Attachment>()

  /** The publishing connection, for the operators' depth queries. */
  let current: ChannelModel | undefined

  // Re-run after every reconnect: the broker may have lost non-durable state or been reset.
  const declareTopology = (model: ChannelModel) =>
    Effect.tryPromise({
      try: async () => {
        current = model
        const channel = await model.createChannel()
        await declareShared(channel, names)
        await declareShopQueues(channel, names, shopBoundKinds)
        for (const step of known.values()) await declareStep(channel, names, step, partitions)
        await channel.close()
      },
      catch: unavailable
    })
  yield* publishing.onConnect(declareTopology)

  // A confirm that never comes (blocked connection, lost frame) must not hang the caller past its
  // lease: time out, and publish on a fresh channel next time (at least once, never lost).
  const publishRaw = (items: ReadonlyArray<Publication>) =>
    publishing.publisher.pipe(
      Effect.flatMap((channel) =>
        publishConfirmed(channel, items).pipe(
          Effect.timeoutOrElse({
            duration: confirmTimeoutMs,
            orElse: () => publishing.dropPublisher(channel).pipe(Effect.andThen(Effect.fail(unavailable(`no publisher confirm within ${confirmTimeoutMs} ms`))))
          })
        )
      )
    )

  const publish = Effect.fn("RabbitMqBus.publish")((messages: ReadonlyArray<OutgoingMessage>) =>
    Effect.andThen(
      liveFirst,
      publishRaw(
        messages.map((message) => {
          const { content, options } = encode(message)
          // What the platform must get is mandatory: unroutable is an error, not a silent drop.
          return { exchange: names.events, routingKey: message.type, content, options: isShopBound(message.type) ? { ...options, mandatory: true } : options }
        })
      )
    )
  )

  // Ownership of partition indexes (issue 12): each consumed step has one consumer, which takes
  // the partition queues (both lanes') of the indexes owned. One lock per object key, shared by
  // every step and lane: batches about one object (flows A and C of one pair) never run side by side.
  const ownership = yield* Semaphore.make(1)
  const consumed = new Map<string, Consumer.StepConsumer>()
  const owned = new Set<number>(config.owned ?? Array.from({ length: partitions }, (_, k) => k))
  const locks = KeyLocks.make()
  const deps = { session: consuming, publish: publishRaw, names }

  // A failed first attach (the connection dropped meanwhile, a declare refused) is retried a few
  // times; one still missing then is attached again by the next `assign` (every second).
  const attachIndex = (step: string, consumer: Consumer.StepConsumer, k: number) =>
    consumer.attach(k).pipe(
      Effect.retry({ schedule: consuming.backoff, times: 4 }),
      Effect.catch((error) => Effect.logWarning(`attaching ${names.partitionQueue(step, k)} failed; trying again at the next rebalance`, error.message))
    )

  const consume = (step: Step, onBatch: BatchConsumer) =>
    Effect.gen(function* () {
      known.set(step.name, step)
      yield* Partitioner.run({ ...deps, partitions }, step).pipe(Effect.flatMap(tracked))
      // Its finalizer releases every index it holds, the batches taken settled first.
      const consumer = yield* Consumer.make({ ...deps, locks, track: tracked }, step, onBatch)
      yield* ownership.withPermits(1)(
        Effect.gen(function* () {
          consumed.set(step.name, consumer)
          for (const k of owned) yield* attachIndex(step.name, consumer, k)
        })
      )
      yield* Effect.addFinalizer(() => ownership.withPermits(1)(Effect.sync(() => void consumed.delete(step.name))))
    })

  const assign = (indexes: ReadonlyArray<number>) =>
    ownership.withPermits(1)(
      Effect.gen(function* () {
        const wanted = new Set(indexes.filter((k) => Number.isInteger(k) && k >= 0 && k < partitions))
        const lost = [...owned].filter((k) => !wanted.has(k))
        const gained = [...wanted].filter((k) => !owned.has(k))
        if (lost.length > 0) {
          yield* Effect.logInfo(`releasing partitions ${lost.join(", ")}`)
          for (const k of lost) owned.delete(k)
          yield* Effect.forEach(
            [...consumed.values()].flatMap((consumer) => lost.map((k) => consumer.release(k))),
            (release) => release,
            { concurrency: "unbounded", discard: true }
          )
        }
        if (gained.length > 0) yield* Effect.logInfo(`taking partitions ${gained.join(", ")}`)
        for (const k of gained) owned.add(k)
        // Gained indexes, and any whose attach failed before.
        for (const k of owned) for (const [step, consumer] of consumed) if (!consumer.attached(k)) yield* attachIndex(step, consumer, k)
      })
    )
  // Held: every consumed step's consumer of that index attached (possibly as the standby of a
  // single active consumer another replica has not released yet).
  const held = Effect.sync(() => [...owned].filter((k) => [...consumed.values()].every((consumer) => consumer.attached(k))).sort((a, b) => a - b))
  const deadLetters = <E>(record: (letters: ReadonlyArray<DeadLetter>) => Effect.Effect<void, E>) =>
    DeadLetters.drain({ session: consuming, publish: publishRaw, names }, record).pipe(Effect.flatMap(tracked))

  const tracked = (attachment: Attachment) =>
    Effect.acquireRelease(
      Effect.sync(() => void attachments.add(attachment)),
      () => Effect.sync(() => void attachments.delete(attachment))
    )
  // Ready: both connections up and every consumer attached.
  const ready = Effect.sync(() => publishing.connected() && consuming.connected() && [...attachments].every((a) => a.current() !== undefined))

  const replay = Effect.fn("RabbitMqBus.replay")(function* (step: string, message: Envelope) {
    if (!known.has(step)) {
      return yield* new MessageBusError({ reason: new BusRejected({ message: `no queue declared for step ${step}` }) })
    }
    const { content, options } = encode(message, { [Headers.attempt]: 1 })
    yield* publishRaw([{ exchange: "", routingKey: names.stepQueue(step), content, options }])
  })

  // The depth checks' channels stay open between checks, per connection: the backfill runner asks
  // before each page (several times a second while the backlog holds it back), and opening and
  // closing four channels each time cost the broker about as much CPU as the checks themselves.
  let depthPool: { readonly model: ChannelModel; readonly channels: Promise<ReadonlyArray<Channel>> } | undefined
  const dropDepthChannels = (channels: ReadonlyArray<Channel>) => {
    for (const channel of channels) void channel.close().catch(() => undefined)
  }
  // One promise per connection, so two checks at once share the channels instead of both opening some.
  const depthChannels = (model: ChannelModel, count: number): Promise<ReadonlyArray<Channel>> => {
    if (depthPool?.model === model) return depthPool.channels
    const pool = {
      model,
      channels: Promise.all(Array.from({ length: count }, () => model.createChannel())).then((channels) => {
        for (const channel of channels) {
          channel.on("error", () => undefined)
          // One closed (a missing queue, the broker): the set goes, the others closed with it.
          channel.on("close", () => {
            if (depthPool !== pool) return
            depthPool = undefined
            dropDepthChannels(channels)
          })
        }
        return channels
      })
    }
    depthPool = pool
    pool.channels.catch(() => {
      if (depthPool === pool) depthPool = undefined
    })
    return pool.channels
  }

  // A passive check of each queue, on channels of its own: checking a missing queue closes the channel.
  const depths = Effect.tryPromise({
    try: async () => {
      const model = current
      if (model === undefined || !publishing.connected()) throw new Error("not connected")
      const queues = [
        ...[...known.values()].flatMap((step) => [
          { step: step.name, queue: "main", name: names.stepQueue(step.name) },
          ...[...new Set(step.retryTiersMs)].map((delayMs) => ({ step: step.name, queue: `retry-${delayMs}ms`, name: names.tierQueue(step.name, delayMs) })),
          // Both lanes' partition queues (issue 10) are summed into the one row.
          ...Array.from({ length: partitions }, (_, k) =>
            lanes.map((lane) => ({ step: step.name, queue: "partitions", name: names.partitionQueue(step.name, k, lane) }))
          ).flat()
        ]),
        { step: undefined, queue: "parking", name: names.parking },
        { step: undefined, queue: "dead-letters", name: names.deadLetters }
      ]
      // A channel answers one check at a time: with ~20 queues per step (partitions × lanes, retry
      // tiers) one channel took ~0.3 s of round trips, which the backfill runner waited for before
      // every page. A few channels check their share of the queues side by side.
      const channels = await depthChannels(model, Math.min(DEPTH_CHANNELS, queues.length))
      try {
        // Each answer goes to its queue's place, so the rows keep the queues' order.
        const answers: Array<QueueDepth | undefined> = queues.map(() => undefined)
        await Promise.all(
          channels.map(async (channel, c) => {
            for (let i = c; i < queues.length; i += channels.length) {
              const q = queues[i] as (typeof queues)[number]
              const ok = await channel.checkQueue(q.name)
              answers[i] = { step: q.step, queue: q.queue, messages: ok.messageCount, consumers: ok.consumerCount }
            }
          })
        )
        const each = answers.filter((d): d is QueueDepth => d !== undefined)
        // A step's partition queues are summed into one row (consumers: attached, standbys included).
        const rows = new Map<string, QueueDepth>()
        for (const d of each) {
          const key = `${d.step}/${d.queue}`
          const before = rows.get(key)
          rows.set(key, before === undefined ? d : { ...d, messages: before.messages + d.messages, consumers: before.consumers + d.consumers })
        }
        return [...rows.values()]
      } catch (error) {
        // A queue missing (deleted by hand) closes its channel: the next check opens new ones.
        if (depthPool !== undefined && (await depthPool.channels.catch(() => undefined)) === channels) depthPool = undefined
        dropDepthChannels(channels)
        throw error
      }
    },
    catch: unavailable
  })

  return MessageBus.of({ publish, consume, deadLetters, replay, depths, ready, partitions, assign, held })
})

export const layer = (config: RabbitMqBusConfig): Layer.Layer<MessageBus, MessageBusError> => Layer.effect(MessageBus, make(config))
