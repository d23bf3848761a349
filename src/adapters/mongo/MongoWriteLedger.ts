// The write ledger on MongoDB / FerretDB: insert-only, so no atomic update is needed. Entries
// expire through a TTL index on MongoDB and a background sweep on FerretDB; readers compare the
// expiry themselves, as deletion lags. One round trip per call, for any number of entries.
// One document per object and write (its properties inside), not per property: FerretDB 1.24
// scans the whole collection on every query, so a find costs per document stored, and a record
// written with ten properties is one document to scan instead of ten. The properties are kept as
// JSON text: FerretDB 1.24 stores an array of subdocuments at about 2.5 × the CPU of the same
// data as one string (measured: 1 000 inserts and their $in find, 450 → 180 ms of its CPU), and
// we never query inside it.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { type LedgerEntry, type LedgerKey, WriteLedger } from "../../application/ports/WriteLedger.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, ensureIndexes, tryTtl } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { lastById, oneBatch, run } from "./MongoOp.ts"

interface Written {
  readonly property: string
  readonly valueHash: string
}

interface LedgerDoc {
  /** The object written, as one field so a lookup of many objects is one `$in`. */
  object: string
  side: LedgerEntry["side"]
  objectKey: string
  /** Every property of the write, as JSON text of `Written[]`. */
  writesJson?: string
  /** Documents stored before `writesJson`: the properties as an array. */
  writes?: ReadonlyArray<Written>
  /** Documents stored before `writes`: one property each. */
  property?: string
  valueHash?: string
  /** A Date so a TTL index can delete it. */
  expiresAt: Date
}

const objectOf = (k: LedgerKey) => JSON.stringify([k.side, k.objectKey])

const writesOf = (d: LedgerDoc): ReadonlyArray<Written> =>
  d.writesJson !== undefined
    ? (JSON.parse(d.writesJson) as ReadonlyArray<Written>)
    : (d.writes ?? (d.property === undefined ? [] : [{ property: d.property, valueHash: d.valueHash ?? "" }]))

const toEntries = (d: LedgerDoc): ReadonlyArray<LedgerEntry> =>
  writesOf(d).map((w) => ({
    side: d.side,
    objectKey: d.objectKey,
    property: w.property,
    valueHash: w.valueHash,
    expiresAt: d.expiresAt.getTime()
  }))

/** The entries grouped per object and expiry: one document each. */
const toDocs = (entries: ReadonlyArray<LedgerEntry>): ReadonlyArray<LedgerDoc> => {
  const docs = new Map<string, LedgerDoc & { writes: Array<Written> }>()
  for (const e of entries) {
    const object = objectOf(e)
    const id = `${object}@${e.expiresAt}`
    const doc = docs.get(id) ?? { object, side: e.side, objectKey: e.objectKey, writes: [], expiresAt: new Date(e.expiresAt) }
    doc.writes.push({ property: e.property, valueHash: e.valueHash })
    docs.set(id, doc)
  }
  return [...docs.values()].map(({ writes, ...doc }) => ({ ...doc, writesJson: JSON.stringify(writes) }))
}

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
              toDocs(entries).map((d) => ({ ...d })),
              { ordered: false }
            )
          ).pipe(Effect.asVoid),
    find: (keys, now) =>
      keys.length === 0
        ? Effect.succeed([])
        : run(() => ledger.find({ object: { $in: [...new Set(keys.map(objectOf))] } }, oneBatch).toArray()).pipe(
            // Expiry and order are applied here: FerretDB would compare and sort every stored
            // document. A write recorded again is one entry, with its latest expiry.
            Effect.map((docs) =>
              lastById(
                docs
                  .flatMap(toEntries)
                  .filter((e) => e.expiresAt > now)
                  .sort((a, b) => a.expiresAt - b.expiresAt),
                (e) => JSON.stringify([e.side, e.objectKey, e.property, e.valueHash])
              )
            )
          )
  })
})

export const layer = Layer.effect(WriteLedger, Effect.flatMap(MongoDb, make))
