// MessageBus on RabbitMQ 3.10+ (no plugins): confirmed persistent publishes to a topic exchange,
// quorum step queues with retry tiers and parking, reconnecting session. See docs/topology.md.
import type { ChannelModel } from "amqplib"
import { Config, Effect, Layer } from "effect"
import { type BatchConsumer, BusRejected, type DeadLetter, MessageBus, MessageBusError } from "../../application/ports/MessageBus.ts"
import type { Envelope, OutgoingMessage, Step } from "../../application/Step.ts"
import { encode, Headers } from "./Codec.ts"
import { type Publication, publishConfirmed, unavailable } from "./ConfirmedPublish.ts"
import * as Consumer from "./Consumer.ts"
import * as DeadLetters from "./DeadLetters.ts"
import * as Session from "./Session.ts"
import { declareShared, declareStep, names as namesFor } from "./Topology.ts"

export interface RabbitMqBusConfig {
  readonly url: string
  /** Prefix of every exchange and queue name, e.g. "crm-sync". */
  readonly prefix: string
  /** Declared at start, so events published before a consumer attaches are kept. */
  readonly steps?: ReadonlyArray<Step>
  readonly heartbeatSeconds?: number
  readonly reconnectMaxDelayMs?: number
}

export const make = Effect.fn("RabbitMqBus.make")(function* (config: RabbitMqBusConfig) {
  const names = namesFor(config.prefix)
  const known = new Map<string, Step>((config.steps ?? []).map((step) => [step.name, step]))
  const session = yield* Session.make({
    url: config.url,
    heartbeatSeconds: config.heartbeatSeconds ?? 10,
    reconnectMaxDelayMs: config.reconnectMaxDelayMs ?? 5_000,
    connectionName: `crm-sync ${config.prefix}`
  })

  // Re-run after every reconnect: the broker may have lost non-durable state or been reset.
  const declareTopology = (model: ChannelModel) =>
    Effect.tryPromise({
      try: async () => {
        const channel = await model.createChannel()
        await declareShared(channel, names)
        for (const step of known.values()) await declareStep(channel, names, step)
        await channel.close()
      },
      catch: unavailable
    })
  yield* session.onConnect(declareTopology)

  const publishRaw = (items: ReadonlyArray<Publication>) =>
    session.publisher.pipe(Effect.flatMap((channel) => publishConfirmed(channel, items)))

  const publish = Effect.fn("RabbitMqBus.publish")((messages: ReadonlyArray<OutgoingMessage>) =>
    publishRaw(messages.map((message) => ({ exchange: names.events, routingKey: message.type, ...encode(message) })))
  )

  const consume = (step: Step, onBatch: BatchConsumer) => {
    known.set(step.name, step)
    return Consumer.consume({ session, publish: publishRaw, names }, step, onBatch)
  }
  const deadLetters = <E>(record: (letters: ReadonlyArray<DeadLetter>) => Effect.Effect<void, E>) =>
    DeadLetters.drain({ session, publish: publishRaw, names }, record)

  const replay = Effect.fn("RabbitMqBus.replay")(function* (step: string, message: Envelope) {
    if (!known.has(step)) {
      return yield* new MessageBusError({ reason: new BusRejected({ message: `no queue declared for step ${step}` }) })
    }
    const { content, options } = encode(message, { [Headers.attempt]: 1 })
    yield* publishRaw([{ exchange: "", routingKey: names.stepQueue(step), content, options }])
  })

  return MessageBus.of({ publish, consume, deadLetters, replay })
})

export const layer = (config: RabbitMqBusConfig): Layer.Layer<MessageBus, MessageBusError> =>
  Layer.effect(MessageBus, make(config))

/** Reads AMQP_URL (and AMQP_PREFIX, default "crm-sync"). */
export const layerConfig = (steps: ReadonlyArray<Step> = []) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const url = yield* Config.String("AMQP_URL")
      const prefix = yield* Config.String("AMQP_PREFIX").pipe(Config.withDefault("crm-sync"))
      return layer({ url, prefix, steps })
    })
  )
