// The write ledger on MongoDB / FerretDB: insert-only, so no atomic update is needed. Entries
// expire through a TTL index on MongoDB and a background sweep on FerretDB; readers compare the
// expiry themselves, as deletion lags. One round trip per call, for any number of entries.
// One document per object and write (its properties inside), not per property: FerretDB 1.24
// scans the whole collection on every query, so a find costs per document stored, and a record
// written with ten properties is one document to scan instead of ten. The properties are one JSON
// text, not an array of subdocuments: FerretDB 1.24 (SQLite) spends ~2.5× the CPU inserting a
// document per subdocument field (measured: 1 000 ledger documents of 7 writes, 150 → 60 ms).
// The side and object key are stored once, inside `object`: a backfill page writes a thousand
// documents, and FerretDB's cost grows with their fields (1 000 inserts: ~20 % less CPU without the
// two copies).
import { Effect, Layer, Option, Schema } from "effect"
import type { Db } from "mongodb"
import { type LedgerEntry, type LedgerKey, WriteLedger } from "../../application/ports/WriteLedger.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, ensureIndexes, tryTtl } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { insertAll, lastById, oneBatch, run } from "./MongoOp.ts"

interface Written {
  readonly property: string
  readonly valueHash: string
}

interface LedgerDoc {
  /** The object written, as one field so a lookup of many objects is one `$in`: JSON `[side, objectKey]`. */
  object: string
  /** Documents stored before `object` was their only copy held these too. */
  side?: LedgerEntry["side"]
  objectKey?: string
  /** Every property of the write as JSON `[[property, valueHash], …]`. */
  pairs?: string
  /** Documents stored before `pairs` held their writes here, and older ones one `property`/`valueHash` each. */
  writes?: ReadonlyArray<Written>
  property?: string
  valueHash?: string
  /** A Date so a TTL index can delete it. */
  expiresAt: Date
}

const objectOf = (k: LedgerKey) => JSON.stringify([k.side, k.objectKey])

const Pairs = Schema.fromJsonString(Schema.Array(Schema.Tuple([Schema.String, Schema.String])))
const decodePairs = Schema.decodeUnknownOption(Pairs)
const ObjectOf = Schema.fromJsonString(Schema.Tuple([Schema.Literals(["crm", "commerce"]), Schema.String]))
const decodeObject = Schema.decodeUnknownOption(ObjectOf)

/** The object a document is about; none when its `object` does not decode (no writer of ours makes one). */
const keyOf = (d: LedgerDoc): Option.Option<LedgerKey> =>
  d.side !== undefined && d.objectKey !== undefined
    ? Option.some({ side: d.side, objectKey: d.objectKey })
    : Option.map(decodeObject(d.object), ([side, objectKey]) => ({ side, objectKey }))

// A `pairs` text that does not decode (no writer of ours makes one) reads as no writes: the echo
// it would have caught is synced again, which the flows treat as an unchanged record.
const writesOf = (d: LedgerDoc): ReadonlyArray<Written> =>
  d.pairs !== undefined
    ? Option.getOrElse(
        Option.map(decodePairs(d.pairs), (pairs) => pairs.map(([property, valueHash]) => ({ property, valueHash }))),
        () => []
      )
    : (d.writes ?? (d.property === undefined ? [] : [{ property: d.property, valueHash: d.valueHash ?? "" }]))

const toEntries = (d: LedgerDoc): ReadonlyArray<LedgerEntry> =>
  Option.match(keyOf(d), {
    onNone: () => [],
    onSome: ({ side, objectKey }) =>
      writesOf(d).map((w) => ({
        side,
        objectKey,
        property: w.property,
        valueHash: w.valueHash,
        expiresAt: d.expiresAt.getTime()
      }))
  })

/** The entries grouped per object and expiry: one document each. */
const toDocs = (entries: ReadonlyArray<LedgerEntry>): ReadonlyArray<LedgerDoc> => {
  const docs = new Map<string, { readonly doc: LedgerDoc; readonly pairs: Array<readonly [string, string]> }>()
  for (const e of entries) {
    const object = objectOf(e)
    const id = `${object}@${e.expiresAt}`
    const held = docs.get(id) ?? { doc: { object, expiresAt: new Date(e.expiresAt) }, pairs: [] }
    held.pairs.push([e.property, e.valueHash])
    docs.set(id, held)
  }
  return [...docs.values()].map(({ doc, pairs }) => ({ ...doc, pairs: JSON.stringify(pairs) }))
}

export const make = Effect.fnUntraced(function* (db: Db) {
  yield* ensureIndexes(db, [collections.ledger])
  const ledger = db.collection<LedgerDoc>(collections.ledger)
  // Every entry lives LEDGER_TTL_MS: the sweep reads only the expired head.
  yield* expire(db.collection(collections.ledger), "expiresAt", yield* tryTtl(db.collection(collections.ledger), "expiresAt"), 60_000, true)
  return WriteLedger.of({
    record: (entries) =>
      entries.length === 0
        ? Effect.void
        : run((turn) =>
            insertAll(
              ledger,
              toDocs(entries).map((d) => ({ ...d })),
              turn
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
