// Whether an adapter's operation waits for live work (LiveFirst): run in the backfill lane while
// a live effect of the same gate holds, then once it ends.
import { Deferred, Effect, Fiber } from "effect"
import { Lane } from "../../src/application/Lane.ts"
import * as LiveFirst from "../../src/application/LiveFirst.ts"

/**
 * Runs `operation` in the backfill lane while live work runs: `waited` tells whether it had not
 * finished after `holdMs` (it waited for the live work), `finished` that it ran once live ended.
 */
export const waitsForLive = <A, E>(operation: Effect.Effect<A, E, never>, holdMs = 300, whileHeld: () => void = () => {}) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      yield* LiveFirst.asLive(Deferred.await(release)).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      const done = { at: false }
      const fiber = yield* operation.pipe(Effect.andThen(Effect.sync(() => (done.at = true))), Effect.provideService(Lane, "backfill"), Effect.forkChild)
      yield* Effect.sleep(holdMs)
      const waited = !done.at
      whileHeld()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(fiber)
      return { waited, finished: done.at }
    }).pipe(Effect.provide(LiveFirst.layer(60_000)))
  )
