// The write ledger on MongoDB / FerretDB: insert-only, so no atomic update is needed. Entries
// expire through a TTL index on MongoDB and a background sweep on FerretDB; readers compare the
// expiry themselves, as deletion lags. One round trip per call, for any number of entries.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { type LedgerEntry, type LedgerKey, WriteLedger } from "../../application/ports/WriteLedger.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, ensureIndexes, tryTtl } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { lastById, oneBatch, run } from "./MongoOp.ts"

interface LedgerDoc {
  /** The object written, as one field so a lookup of many objects is one `$in`. */
  object: string
  side: LedgerEntry["side"]
  objectKey: string
  property: string
  valueHash: string
  /** A Date so a TTL index can delete it. */
  expiresAt: Date
}

const objectOf = (k: LedgerKey) => JSON.stringify([k.side, k.objectKey])

const toEntry = (d: LedgerDoc): LedgerEntry => ({
  side: d.side,
  objectKey: d.objectKey,
  property: d.property,
  valueHash: d.valueHash,
  expiresAt: d.expiresAt.getTime()
})

export const make = Effect.fnUntraced(function* (db: Db) {
  yield* ensureIndexes(db, [collections.ledger])
  const ledger = db.collection<LedgerDoc>(collections.ledger)
  yield* expire(db.collection(collections.ledger), "expiresAt", yield* tryTtl(db.collection(collections.ledger), "expiresAt"))
  return WriteLedger.of({
    record: (entries) =>
      entries.length === 0
        ? Effect.void
        : run(() =>
            ledger.insertMany(
              entries.map((e) => ({ object: objectOf(e), ...e, expiresAt: new Date(e.expiresAt) })),
              { ordered: false }
            )
          ).pipe(Effect.asVoid),
    find: (keys, now) =>
      keys.length === 0
        ? Effect.succeed([])
        : run(() =>
            ledger
              .find({ object: { $in: [...new Set(keys.map(objectOf))] }, expiresAt: { $gt: new Date(now) } }, oneBatch)
              .sort({ expiresAt: 1 })
              .toArray()
          ).pipe(
            // A write recorded again is one entry, with its latest expiry.
            Effect.map((docs) => lastById(docs.map(toEntry), (e) => JSON.stringify([e.side, e.objectKey, e.property, e.valueHash])))
          )
  })
})

export const layer = Layer.effect(WriteLedger, Effect.flatMap(MongoDb, make))
