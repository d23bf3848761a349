// MessageBus on RabbitMQ 3.10+ (no plugins): confirmed persistent publishes to a topic exchange,
// quorum step queues with retry tiers and parking, reconnecting session. See docs/topology.md.
import type { ChannelModel } from "amqplib"
import { Effect, Layer } from "effect"
import { isShopBound, shopBoundKinds } from "../../application/CommerceMessages.ts"
import { type BatchConsumer, BusRejected, type DeadLetter, MessageBus, MessageBusError } from "../../application/ports/MessageBus.ts"
import type { Envelope, OutgoingMessage, Step } from "../../application/Step.ts"
import type { Attachment } from "./Attachment.ts"
import { encode, Headers } from "./Codec.ts"
import { type Publication, publishConfirmed, unavailable } from "./ConfirmedPublish.ts"
import * as Consumer from "./Consumer.ts"
import * as DeadLetters from "./DeadLetters.ts"
import * as Session from "./Session.ts"
import { declareShared, declareShopQueues, declareStep, names as namesFor } from "./Topology.ts"

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
}

export const make = Effect.fn("RabbitMqBus.make")(function* (config: RabbitMqBusConfig) {
  const names = namesFor(config.prefix)
  const known = new Map<string, Step>((config.steps ?? []).map((step) => [step.name, step]))
  const sessionFor = (role: string) =>
    Session.make({
      url: config.url,
      heartbeatSeconds: config.heartbeatSeconds ?? 10,
      reconnectMaxDelayMs: config.reconnectMaxDelayMs ?? 5_000,
      connectionName: `crm-sync ${config.prefix} ${role}`
    })
  // Separate connections: a resource alarm blocks publishing connections, and consumers must
  // keep acking (which frees the broker) while publishers wait.
  const publishing = yield* sessionFor("publish")
  const consuming = yield* sessionFor("consume")
  const confirmTimeoutMs = config.confirmTimeoutMs ?? 15_000
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
        for (const step of known.values()) await declareStep(channel, names, step)
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
    publishRaw(
      messages.map((message) => {
        const { content, options } = encode(message)
        // What the platform must get is mandatory: unroutable is an error, not a silent drop.
        return { exchange: names.events, routingKey: message.type, content, options: isShopBound(message.type) ? { ...options, mandatory: true } : options }
      })
    )
  )

  const consume = (step: Step, onBatch: BatchConsumer) => {
    known.set(step.name, step)
    return Consumer.consume({ session: consuming, publish: publishRaw, names }, step, onBatch).pipe(Effect.flatMap(tracked))
  }
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

  // A passive check of each queue, on a channel of its own: checking a missing queue closes the channel.
  const depths = Effect.tryPromise({
    try: async () => {
      const model = current
      if (model === undefined || !publishing.connected()) throw new Error("not connected")
      const queues = [
        ...[...known.values()].flatMap((step) => [
          { step: step.name, queue: "main", name: names.stepQueue(step.name) },
          ...[...new Set(step.retryTiersMs)].map((delayMs) => ({ step: step.name, queue: `retry-${delayMs}ms`, name: names.tierQueue(step.name, delayMs) }))
        ]),
        { step: undefined, queue: "parking", name: names.parking },
        { step: undefined, queue: "dead-letters", name: names.deadLetters }
      ]
      const channel = await model.createChannel()
      channel.on("error", () => undefined)
      try {
        return await Promise.all(
          queues.map(async (q) => {
            const ok = await channel.checkQueue(q.name)
            return { step: q.step, queue: q.queue, messages: ok.messageCount, consumers: ok.consumerCount }
          })
        )
      } finally {
        await channel.close().catch(() => undefined)
      }
    },
    catch: unavailable
  })

  return MessageBus.of({ publish, consume, deadLetters, replay, depths, ready })
})

export const layer = (config: RabbitMqBusConfig): Layer.Layer<MessageBus, MessageBusError> => Layer.effect(MessageBus, make(config))
