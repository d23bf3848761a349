// How the bus adapters form a batch: wait for the first delivery, then gather more until the
// batch is full or a short window has passed, so a burst becomes one batch while a lone message
// waits no longer than the window.
import { Clock, Effect, Queue } from "effect"

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** How often a window looks whether the batch is full (ends the window early under load). */
const POLL_MS = 1

const fillWithin = <A>(queue: Queue.Dequeue<A>, need: number, windowMs: number) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + windowMs
    while ((yield* Queue.size(queue)) < need) {
      const left = deadline - (yield* Clock.currentTimeMillis)
      if (left <= 0) break
      yield* Effect.sleep(Math.min(POLL_MS, left))
    }
    return yield* Queue.takeBetween(queue, 0, need)
  })

/**
 * Call it uninterruptibly and pass the mask's `restore`: only the wait for the first delivery
 * can then be interrupted. Once deliveries are taken the window runs to its end and the batch
 * is returned, so stopping a consumer never drops taken messages.
 */
export const gatherBatch = <A>(queue: Queue.Dequeue<A>, max: number, windowMs: number, restore: Restore): Effect.Effect<ReadonlyArray<A>> =>
  restore(Queue.takeBetween(queue, 1, max)).pipe(
    Effect.flatMap((first) =>
      first.length >= max || windowMs <= 0
        ? Effect.succeed(first)
        : fillWithin(queue, max - first.length, windowMs).pipe(Effect.map((rest): ReadonlyArray<A> => [...first, ...rest]))
    ),
    Effect.orDie
  )
