// Deletes expired documents where the server has no TTL index (FerretDB 1.x). Readers compare the
// expiry themselves, so the sweep only bounds growth; a missed round is harmless.
import { Clock, Effect } from "effect"
import type { Collection, Document } from "mongodb"
import { withinDeadline } from "./MongoOp.ts"

/** Head documents a sweep in insertion order reads at a time. */
export const SWEEP_PAGE = 1000

/**
 * Deletes the expired documents at the head of the collection in natural (insertion) order, a page
 * at a time, and stops at the first page that is not all expired. For collections whose documents
 * all live equally long, so insertion order is expiry order (the write ledger, the webhook keys):
 * FerretDB pushes no range down, and `deleteMany({expiresAt: {$lt: now}})` read the whole
 * collection each round (23.5 s of its CPU at 400 000 documents; a 100 000-company backfill's
 * ledger held up to ~800 000), while a bare limit costs what it returns (0.06 s).
 */
export const sweepHead = async (collection: Collection<Document>, field: string, now: number, signal?: AbortSignal): Promise<number> => {
  let deleted = 0
  // A sweep past the store deadline has failed already: it stops at the next page, never running beside the next sweep.
  while (signal?.aborted !== true) {
    const head = await collection.find({}, { projection: { [field]: 1 }, limit: SWEEP_PAGE }).toArray()
    const expired = head.filter((d) => d[field] instanceof Date && d[field].getTime() < now).map((d) => d._id)
    if (expired.length > 0) await collection.deleteMany({ _id: { $in: expired } })
    deleted += expired.length
    if (expired.length < head.length || head.length < SWEEP_PAGE) return deleted
  }
  return deleted
}

const sweepAll = (collection: Collection<Document>, field: string, now: number) =>
  collection.deleteMany({ [field]: { $lt: new Date(now) } }).then((r) => r.deletedCount)

/** Waits a round before the first sweep, like MongoDB's TTL monitor: nothing vanishes at start-up. */
export const sweepEvery = (collection: Collection<Document>, field: string, everyMs: number, inInsertionOrder = false) =>
  Effect.gen(function* () {
    yield* Effect.sleep(everyMs)
    const now = yield* Clock.currentTimeMillis
    yield* withinDeadline(
      (signal) => (inInsertionOrder ? sweepHead(collection, field, now, signal) : sweepAll(collection, field, now)),
      (error) => error
    )
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning("expiry sweep failed", cause)),
    Effect.forever,
    Effect.forkScoped
  )

/**
 * A TTL index where supported, otherwise a background sweep tied to the layer's scope.
 * `inInsertionOrder`: every document lives equally long, so the sweep reads only the expired head.
 */
export const expire = (collection: Collection<Document>, field: string, ttl: boolean, everyMs = 60_000, inInsertionOrder = false) =>
  ttl ? Effect.void : Effect.asVoid(sweepEvery(collection, field, everyMs, inInsertionOrder))
