// Deletes expired documents where the server has no TTL index (FerretDB 1.x). Readers compare the
// expiry themselves, so the sweep only bounds growth; a missed round is harmless.
import { Clock, Effect } from "effect"
import type { Collection, Document } from "mongodb"

/** Waits a round before the first sweep, like MongoDB's TTL monitor: nothing vanishes at start-up. */
export const sweepEvery = (collection: Collection<Document>, field: string, everyMs: number) =>
  Effect.gen(function* () {
    yield* Effect.sleep(everyMs)
    const now = yield* Clock.currentTimeMillis
    yield* Effect.tryPromise(() => collection.deleteMany({ [field]: { $lt: new Date(now) } }))
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning("expiry sweep failed", cause)),
    Effect.forever,
    Effect.forkScoped
  )

/** A TTL index where supported, otherwise a background sweep tied to the layer's scope. */
export const expire = (collection: Collection<Document>, field: string, ttl: boolean, everyMs = 60_000) =>
  ttl ? Effect.void : Effect.asVoid(sweepEvery(collection, field, everyMs))
