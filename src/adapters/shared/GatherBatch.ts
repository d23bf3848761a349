// How the bus adapters form a batch: wait for the first delivery, then gather more for a short
// window, so a burst becomes one batch while a lone message waits no longer than the window.
import { Effect, Queue } from "effect"

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

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
        : Effect.sleep(windowMs).pipe(
            Effect.andThen(Queue.takeBetween(queue, 0, max - first.length)),
            Effect.map((rest): ReadonlyArray<A> => [...first, ...rest])
          )
    ),
    Effect.orDie
  )
