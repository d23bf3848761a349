// The objects whose batches this process is handling, by partition key (`user:u-5`). A batch
// holds every key it touches: two batches about one object (flows A and C of one pair, or a live
// and a backfill batch of one step) never run side by side, while batches about other objects do.
// Keys are taken in sorted order, so two batches never wait on each other.
import { Effect, Semaphore } from "effect"

export interface KeyLocks {
  /** Runs `effect` holding `keys` (waiting for batches that hold any of them). */
  readonly holding: <A, E, R>(keys: Iterable<string>, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const make = (): KeyLocks => {
  /** A lock per key in use, dropped when its last user is done. */
  const locks = new Map<string, { readonly lock: Semaphore.Semaphore; users: number }>()

  const enter = (keys: ReadonlyArray<string>) =>
    Effect.sync(() =>
      keys.map((k) => {
        const entry = locks.get(k) ?? { lock: Semaphore.makeUnsafe(1), users: 0 }
        entry.users++
        locks.set(k, entry)
        return entry.lock
      })
    )
  const leave = (keys: ReadonlyArray<string>) =>
    Effect.sync(() => {
      for (const k of keys) {
        const entry = locks.get(k)
        if (entry !== undefined && --entry.users === 0) locks.delete(k)
      }
    })

  return {
    holding: (keys, effect) => {
      const sorted = [...new Set(keys)].sort()
      return Effect.acquireUseRelease(
        enter(sorted),
        (held) => held.reduceRight((inner: typeof effect, lock) => lock.withPermits(1)(inner), effect),
        () => leave(sorted)
      )
    }
  }
}
