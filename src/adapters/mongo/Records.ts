// The write ledger, parked items and backfill checkpoints: insert or whole-document replace by
// _id, never read-modify-write, so they need no atomic update.
import { Effect, Option } from "effect"
import type { Db, Filter } from "mongodb"
import type { Side } from "../../domain/CorrespondenceTable.ts"
import type { Checkpoint, LedgerEntry, ParkedFilter, ParkedItem } from "../../application/ports/SyncStore.ts"
import { collections } from "./Indexes.ts"
import { orDuplicate, run } from "./MongoOp.ts"

interface LedgerDoc {
  side: Side
  objectKey: string
  property: string
  valueHash: string
  /** A Date so a TTL index can delete it; readers still compare it, as TTL deletion lags. */
  expiresAt: Date
}
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
}
interface CheckpointDoc {
  _id: string
  cursor: string | null
  enqueued: number
  done: boolean
  updatedAt: number
}

const parkedQuery = (f: ParkedFilter): Filter<ParkedDoc> => {
  const range = { ...(f.from === undefined ? {} : { $gte: f.from }), ...(f.to === undefined ? {} : { $lt: f.to }) }
  return {
    ...(f.step === undefined ? {} : { step: f.step }),
    ...(f.type === undefined ? {} : { type: f.type }),
    ...(Object.keys(range).length === 0 ? {} : { lastFailedAt: range }),
    ...(f.includeReplayed === true ? {} : { replayedAt: null })
  }
}
const toParked = (d: ParkedDoc): ParkedItem => ({
  id: d._id,
  step: d.step,
  message: JSON.parse(d.message),
  reason: d.reason,
  attempts: d.attempts,
  firstFailedAt: d.firstFailedAt,
  lastFailedAt: d.lastFailedAt,
  replayedAt: d.replayedAt ?? undefined
})

/** A concurrent first upsert of the same _id can lose with E11000; the retry then replaces. */
const upsertById = async <A>(write: () => Promise<A>) => {
  const first = await orDuplicate(write())
  if (first === "duplicate") await write()
}

export const makeRecords = (db: Db) => {
  const ledger = db.collection<LedgerDoc>(collections.ledger)
  const parked = db.collection<ParkedDoc>(collections.parked)
  const checkpoints = db.collection<CheckpointDoc>(collections.checkpoints)
  return {
    recordWrites: (entries: ReadonlyArray<LedgerEntry>) =>
      run(async () => {
        if (entries.length > 0) await ledger.insertMany(entries.map((e) => ({ ...e, expiresAt: new Date(e.expiresAt) })), { ordered: false })
      }),
    isEcho: (side: Side, objectKey: string, property: string, valueHash: string, now: number) =>
      run(() => ledger.findOne({ side, objectKey, property, valueHash, expiresAt: { $gt: new Date(now) } })).pipe(
        Effect.map((doc) => doc !== null)
      ),
    park: ({ id, ...item }: ParkedItem) =>
      run(() =>
        upsertById(() =>
          parked.replaceOne(
            { _id: id },
            { ...item, type: item.message.type, message: JSON.stringify(item.message), replayedAt: item.replayedAt ?? null },
            { upsert: true }
          )
        )
      ),
    listParked: (filter: ParkedFilter) =>
      run(() => parked.find(parkedQuery(filter)).sort({ lastFailedAt: 1, _id: 1 }).toArray()).pipe(Effect.map((docs) => docs.map(toParked))),
    markReplayed: (ids: ReadonlyArray<string>, at: number) =>
      run(() => parked.updateMany({ _id: { $in: [...ids] } }, { $set: { replayedAt: at } })).pipe(Effect.asVoid),
    saveCheckpoint: (c: Checkpoint) =>
      run(() =>
        upsertById(() =>
          checkpoints.replaceOne({ _id: c.runId }, { cursor: c.cursor ?? null, enqueued: c.enqueued, done: c.done, updatedAt: c.updatedAt }, { upsert: true })
        )
      ),
    loadCheckpoint: (runId: string) =>
      run(() => checkpoints.findOne({ _id: runId })).pipe(
        Effect.map((d) =>
          Option.fromNullishOr(d).pipe(
            Option.map((d): Checkpoint => ({ runId, cursor: d.cursor ?? undefined, enqueued: d.enqueued, done: d.done, updatedAt: d.updatedAt }))
          )
        )
      )
  }
}
