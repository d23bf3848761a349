// Drains what the broker dead-lettered (a message that exceeded x-delivery-limit, e.g. because
// its handler crashed the process): each batch is handed to the recorder first, then copied to
// parking and removed. A failed record keeps the letters and retries after a pause.
import type { ChannelModel } from "amqplib"
import { Effect, Fiber, FiberSet, Queue } from "effect"
import type { DeadLetter } from "../../application/ports/MessageBus.ts"
import { gatherBatch } from "../shared/GatherBatch.ts"
import { keepAttached } from "./Attachment.ts"
import { deathOf, decode } from "./Codec.ts"
import type { Session } from "./Session.ts"
import { ack, giveBack, type Publish, parkingCopy, type Received } from "./Settle.ts"
import type { Names } from "./Topology.ts"

const BATCH = 50
const PAUSE_AFTER_FAILURE_MS = 5_000

interface Letter extends Received {
  readonly letter: DeadLetter
}

export const drain = Effect.fn("RabbitMqBus.deadLetters")(function* <E>(
  deps: { readonly session: Session; readonly publish: Publish; readonly names: Names },
  record: (letters: ReadonlyArray<DeadLetter>) => Effect.Effect<void, E>
) {
  const { session, publish, names } = deps
  const buffer = yield* Queue.unbounded<Letter>()
  const inFlight = yield* FiberSet.make<void>()

  const toLetter = (message: Received["message"]): DeadLetter => {
    const death = deathOf(message)
    const { envelope, firstFailedAt } = decode(message)
    const reason = death.reason === "delivery_limit" ? "delivery limit exceeded (handler crashed or died repeatedly)" : death.reason
    return { step: names.stepOf(death.queue) ?? death.queue, envelope, reason, firstFailedAt }
  }

  const handle = (batch: ReadonlyArray<Letter>) =>
    record(batch.map((l) => l.letter)).pipe(
      Effect.andThen(publish(batch.map((l) => parkingCopy(names, l.letter.step, l.envelope, l.letter.reason)))),
      Effect.andThen(Effect.forEach(batch, ack, { discard: true })),
      Effect.catchCause((cause) =>
        Effect.logError(`recording ${batch.length} dead letters failed; retrying in ${PAUSE_AFTER_FAILURE_MS} ms`, cause).pipe(
          Effect.andThen(Effect.sleep(PAUSE_AFTER_FAILURE_MS)),
          Effect.andThen(Effect.forEach(batch, giveBack, { discard: true }))
        )
      )
    )

  const open = async (model: ChannelModel) => {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    await channel.prefetch(BATCH)
    await channel.consume(names.deadLetters, (message) => {
      if (message === null) return void channel.close().catch(() => undefined)
      const letter = toLetter(message)
      Queue.offerUnsafe(buffer, { channel, message, envelope: letter.envelope, letter })
    })
    return channel
  }

  const attachment = yield* keepAttached(session, "dead letters", open)
  const loop = yield* Effect.forkScoped(
    gatherBatch(buffer, BATCH, 20, (effect) => effect).pipe(
      Effect.flatMap((batch) => FiberSet.run(inFlight, handle(batch))),
      Effect.flatMap(Fiber.await),
      Effect.forever
    )
  )
  // Unacked letters return to the queue when the connection closes: nothing to wait for.
  yield* Effect.addFinalizer(() => Effect.sync(attachment.stop).pipe(Effect.andThen(Fiber.interrupt(loop)), Effect.andThen(FiberSet.clear(inFlight))))
  return attachment
})
