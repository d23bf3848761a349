// How the bus adapters form a batch: wait for the first delivery, then gather more for a short
// window, so a burst becomes one batch while a lone message waits no longer than the window.
import { Effect, Queue } from "effect"

export const gatherBatch = <A>(queue: Queue.Dequeue<A>, max: number, windowMs: number): Effect.Effect<ReadonlyArray<A>> =>
  Effect.gen(function* () {
    const first = yield* Queue.takeBetween(queue, 1, max)
    if (first.length >= max || windowMs <= 0) return first
    yield* Effect.sleep(windowMs)
    return [...first, ...(yield* Queue.takeBetween(queue, 0, max - first.length))]
  }).pipe(Effect.orDie)
