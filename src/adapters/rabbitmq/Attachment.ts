// Keeps one consuming channel attached: opened after every (re)connect of the session, and opened
// again (with backoff) when the broker closes the channel or cancels its consumer while the
// connection stays up, which the session alone would never notice.
import type { Channel, ChannelModel } from "amqplib"
import { Effect, FiberSet } from "effect"
import { unavailable } from "./ConfirmedPublish.ts"
import type { Session } from "./Session.ts"

export interface Attachment {
  /** The channel currently attached, if any (closed channels are forgotten). */
  readonly current: () => Channel | undefined
  /** Stops re-attaching; the caller then closes the current channel. */
  readonly stop: () => void
}

/** `open` creates the channel and starts consuming; its message callback closes the channel on a broker cancel. */
export const keepAttached = Effect.fn("RabbitMq.keepAttached")(function* (session: Session, name: string, open: (model: ChannelModel) => Promise<Channel>) {
  const watchers = yield* FiberSet.make<void>()
  const runFork = yield* FiberSet.runtime(watchers)()
  let current: Channel | undefined
  let stopping = false

  const attach = (model: ChannelModel): Effect.Effect<void, ReturnType<typeof unavailable>> =>
    Effect.tryPromise({
      try: async (signal) => {
        if (stopping) return
        const channel = await open(model)
        // Stopped while opening (a re-attach racing a release), or given up on (the session's
        // attach timeout): the caller closed what was current then, not this one. Left open it
        // stays a consumer of the queue taking deliveries nobody settles — as the single active
        // consumer, a stalled partition.
        if (stopping || signal.aborted) {
          await channel.close().catch(() => undefined)
          if (signal.aborted) throw new Error(`attaching ${name} was abandoned`)
          return
        }
        current = channel
        channel.once("close", () => {
          if (current === channel) current = undefined
          // A closed connection is the session's to re-attach; a lone channel is ours.
          if (!stopping && session.isLive(model)) runFork(reattach(model))
        })
      },
      catch: unavailable
    })

  const reattach = (model: ChannelModel) =>
    Effect.logWarning(`AMQP channel of ${name} closed; re-attaching`).pipe(
      Effect.andThen(Effect.sleep(100)),
      Effect.andThen(attach(model)),
      Effect.retry({ schedule: session.backoff, while: () => !stopping && session.isLive(model) }),
      Effect.catch((e) => Effect.logWarning(`re-attaching ${name} gave up (the connection closed)`, e.message))
    )

  yield* session.onConnect(attach)
  return {
    current: () => current,
    stop: () => void (stopping = true)
  } satisfies Attachment
})
