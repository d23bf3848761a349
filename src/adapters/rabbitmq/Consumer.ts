// A step consumer: its own channel (prefetch = step.prefetch), manual acks, re-attached after
// reconnects; closing its scope cancels intake and waits for in-flight handlers and their acks.
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib"
import { Effect, FiberSet } from "effect"
import type { Handler } from "../../application/ports/MessageBus.ts"
import type { SyncStore } from "../../application/ports/SyncStore.ts"
import type { Step } from "../../application/Step.ts"
import { decode } from "./Codec.ts"
import { unavailable } from "./ConfirmedPublish.ts"
import type { Session } from "./Session.ts"
import { ack, giveBack, type Publish, park, settle } from "./Settle.ts"
import { declareStep, type Names } from "./Topology.ts"

export interface Attached {
  readonly channel: Channel
  readonly consumerTag: string
}

export const consume = Effect.fn("RabbitMqBus.consume")(function* (
  deps: { readonly session: Session; readonly publish: Publish; readonly names: Names },
  step: Step,
  handler: Handler
) {
  const { session, publish, names } = deps
  const inFlight = yield* FiberSet.make<void>()
  const run = yield* FiberSet.runtime(inFlight)<SyncStore>()
  let current: Attached | undefined
  let stopping = false

  const process = (channel: Channel, message: ConsumeMessage) => {
    const { envelope, valid } = decode(message)
    const work = valid
      ? handler(envelope).pipe(Effect.exit, Effect.flatMap((exit) => settle({ channel, publish, names, step }, message, envelope, exit)))
      : park(publish, names, step.name, envelope, "undecodable message body", undefined).pipe(
        Effect.andThen(ack(channel, message))
      )
    // Parking/retry publish or the store failed: hand the message back rather than lose it.
    return work.pipe(
      Effect.catchCause((cause) => Effect.logError(`settling on ${step.name} failed`, cause).pipe(Effect.andThen(giveBack(channel, message))))
    )
  }

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
          if (message !== null) run(process(channel, message))
        })
        current = { channel, consumerTag }
      },
      catch: unavailable
    })

  yield* session.onConnect(attach)
  // Registered last, so it runs first: stop intake, drain in-flight work, then close the channel.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      stopping = true
      const attached = current
      if (attached === undefined) return
      yield* Effect.promise(() => attached.channel.cancel(attached.consumerTag).catch(() => undefined))
      yield* FiberSet.awaitEmpty(inFlight)
      yield* Effect.promise(() => attached.channel.close().catch(() => undefined))
    })
  )
})
