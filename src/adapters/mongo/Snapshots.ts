// CRM snapshots, one document per (type, id, version). A conditional replace is not atomic on
// FerretDB 1.x, so each version is inserted under its own unique _id, compared with the newest
// other version, and the loser pruned: the newest version always survives, on both servers.
import { Effect, Option } from "effect"
import type { Db } from "mongodb"
import { freshness } from "../../domain/ConflictRules.ts"
import type { Snapshot, SnapshotType } from "../../application/ports/SyncStore.ts"
import { collections } from "./Indexes.ts"
import { orDuplicate, run } from "./MongoOp.ts"

interface SnapshotDoc {
  _id: string
  type: SnapshotType
  id: string
  version: number
  /** JSON text: CRM data may hold keys ("$…", dotted) a server refuses as field names. */
  data: string
}

export const makeSnapshots = (db: Db) => {
  const snapshots = db.collection<SnapshotDoc>(collections.snapshots)
  const newest = (type: SnapshotType, id: string, except?: number) =>
    snapshots.findOne(except === undefined ? { type, id } : { type, id, version: { $ne: except } }, { sort: { version: -1 } })

  return {
    saveSnapshot: (s: Snapshot) =>
      run(async () => {
        const _id = `${s.type}:${s.id}:${s.version}`
        const doc = { _id, type: s.type, id: s.id, version: s.version, data: JSON.stringify(s.data) ?? "null" }
        const inserted = await orDuplicate(snapshots.insertOne(doc))
        const verdict = freshness(s.version, (await newest(s.type, s.id, s.version))?.version)
        if (inserted === "duplicate") {
          // Same version again: its data replaces the old (associations change without a new version).
          if (verdict !== "older") await snapshots.replaceOne({ _id }, doc)
          return verdict === "newer" ? "same" : verdict
        }
        if (verdict === "older") await snapshots.deleteOne({ _id })
        else await snapshots.deleteMany({ type: s.type, id: s.id, version: { $lt: s.version } })
        return verdict
      }),
    getSnapshot: (type: SnapshotType, id: string) =>
      run(() => newest(type, id)).pipe(
        Effect.map((doc) =>
          Option.fromNullishOr(doc).pipe(Option.map((d): Snapshot => ({ type: d.type, id: d.id, version: d.version, data: JSON.parse(d.data) })))
        )
      )
  }
}
