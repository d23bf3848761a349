// Parked items on MongoDB / FerretDB: whole-document replace by _id, never read-modify-write.
// One round trip per call, for any number of items (plus one when a first upsert races).
import { Effect, Layer } from "effect"
import type { Db, Filter } from "mongodb"
import { type ParkedFilter, type ParkedItem, ParkedItems } from "../../application/ports/ParkedItems.ts"
import { collections, ensureIndexes } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { oneBatch, run, upsertAllById } from "./MongoOp.ts"

interface ParkedDoc {
  _id: string
  step: string
  type: string
  /** JSON text: payloads may hold keys a server refuses as field names. */
  message: string
  reason: string
  attempts: number
  firstFailedAt: number
  lastFailedAt: number
  replayedAt: number | null
  /** Absent on documents parked before discarding existed: `null` matches both. */
  discardedAt?: number | null
  discardNote?: string | null
}

const parkedQuery = (f: ParkedFilter): Filter<ParkedDoc> => {
  const range = { ...(f.from === undefined ? {} : { $gte: f.from }), ...(f.to === undefined ? {} : { $lt: f.to }) }
  return {
    ...(f.step === undefined ? {} : { step: f.step }),
    ...(f.type === undefined ? {} : { type: f.type }),
    ...(Object.keys(range).length === 0 ? {} : { lastFailedAt: range }),
    ...(f.includeReplayed === true ? {} : { replayedAt: null, discardedAt: null })
  }
}
const toDoc = ({ id, discarded, ...item }: ParkedItem): ParkedDoc => ({
  ...item,
  _id: id,
  type: item.message.type,
  message: JSON.stringify(item.message),
  replayedAt: item.replayedAt ?? null,
  discardedAt: discarded?.at ?? null,
  discardNote: discarded?.note ?? null
})
const toParked = (d: ParkedDoc): ParkedItem => ({
  id: d._id,
  step: d.step,
  message: JSON.parse(d.message),
  reason: d.reason,
  attempts: d.attempts,
  firstFailedAt: d.firstFailedAt,
  lastFailedAt: d.lastFailedAt,
  replayedAt: d.replayedAt ?? undefined,
  ...(d.discardedAt === undefined || d.discardedAt === null ? {} : { discarded: { at: d.discardedAt, note: d.discardNote ?? "" } })
})

/** The operations alone, on a database whose indexes are already ensured. */
export const makeParked = (db: Db): ParkedItems["Service"] => {
  const parked = db.collection<ParkedDoc>(collections.parked)
  return {
    park: (items) => run(() => upsertAllById(parked, items.map(toDoc))),
    list: (filter) =>
      run(() => parked.find(parkedQuery(filter), oneBatch).sort({ lastFailedAt: 1, _id: 1 }).toArray()).pipe(Effect.map((docs) => docs.map(toParked))),
    markReplayed: (ids, at) =>
      ids.length === 0
        ? Effect.void
        : run(() => parked.updateMany({ _id: { $in: [...ids] }, lastFailedAt: { $lt: at } }, { $set: { replayedAt: at } })).pipe(Effect.asVoid),
    // One update command with one statement, whatever the number of ids (FerretDB's cap is on statements).
    discard: (ids, note, at) =>
      ids.length === 0
        ? Effect.void
        : run(() => parked.updateMany({ _id: { $in: [...ids] } }, { $set: { discardedAt: at, discardNote: note } })).pipe(Effect.asVoid)
  }
}

export const make = Effect.fnUntraced(function* (db: Db) {
  yield* ensureIndexes(db, [collections.parked])
  return ParkedItems.of(makeParked(db))
})

export const layer = Layer.effect(ParkedItems, Effect.flatMap(MongoDb, make))
