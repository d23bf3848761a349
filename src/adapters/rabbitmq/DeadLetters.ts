// Drains what the broker dead-lettered (a message that exceeded x-delivery-limit, e.g. because
// its handler crashed the process) into parking and the SyncStore: a crash leaves no chance to
// record it at the consumer, so it is recorded here.
import type { ChannelModel } from "amqplib"
import { Effect, FiberSet } from "effect"
import type { SyncStore } from "../../application/ports/SyncStore.ts"
import { decode, stringHeader } from "./Codec.ts"
import { unavailable } from "./ConfirmedPublish.ts"
import type { Session } from "./Session.ts"
import { ack, giveBack, type Publish, park } from "./Settle.ts"
import type { Names } from "./Topology.ts"

export const drain = Effect.fn("RabbitMqBus.deadLetters")(function* (deps: {
  readonly session: Session
  readonly publish: Publish
  readonly names: Names
}) {
  const { session, publish, names } = deps
  const inFlight = yield* FiberSet.make<void>()
  const run = yield* FiberSet.runtime(inFlight)<SyncStore>()

  const attach = (model: ChannelModel) =>
    Effect.tryPromise({
      try: async () => {
        const channel = await model.createChannel()
        channel.on("error", () => undefined)
        await channel.prefetch(16)
        await channel.consume(names.deadLetters, (message) => {
          if (message === null) return
          const { envelope } = decode(message)
          const queue = stringHeader(message, "x-first-death-queue") ?? ""
          const why = stringHeader(message, "x-first-death-reason") ?? "dead-lettered"
          const reason = why === "delivery_limit" ? "delivery limit exceeded (handler crashed or died repeatedly)" : why
          const step = names.stepOf(queue) ?? queue
          run(
            park(publish, names, step, envelope, reason, undefined).pipe(
              Effect.andThen(ack(channel, message)),
              Effect.catchCause((cause) => Effect.logError("parking a dead letter failed", cause).pipe(Effect.andThen(giveBack(channel, message))))
            )
          )
        })
      },
      catch: unavailable
    })

  yield* session.onConnect(attach)
  yield* Effect.addFinalizer(() => FiberSet.awaitEmpty(inFlight))
})
