// The objects whose batches this process is handling, by partition key (`user:u-5`). A batch
// takes every key it touches at once, or waits until none is held: two batches about one object
// (flows A and C of one pair, or a live and a backfill batch of one step) never run side by
// side, while batches about other objects do. Taking all keys at once cannot deadlock.
import { Deferred, Effect } from "effect"

export interface KeyLocks {
  /** Runs `effect` holding `keys`; waiting for them cannot be interrupted (the holders finish). */
  readonly holding: <A, E, R>(keys: Iterable<string>, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const make = (): KeyLocks => {
  const held = new Set<string>()
  /** Completed (and replaced) whenever keys are given back. */
  let released = Deferred.makeUnsafe<void>()

  const take = (keys: ReadonlyArray<string>): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (keys.some((k) => held.has(k))) return Deferred.await(released).pipe(Effect.andThen(take(keys)))
      for (const k of keys) held.add(k)
      return Effect.void
    })

  const give = (keys: ReadonlyArray<string>) =>
    Effect.sync(() => {
      for (const k of keys) held.delete(k)
      Deferred.doneUnsafe(released, Effect.void)
      released = Deferred.makeUnsafe<void>()
    })

  return {
    holding: (keys, effect) => {
      const unique = [...new Set(keys)]
      return Effect.acquireUseRelease(
        take(unique),
        () => effect,
        () => give(unique)
      )
    }
  }
}
