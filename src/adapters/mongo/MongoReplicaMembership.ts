// ReplicaMembership on MongoDB / FerretDB: one document per replica, `_id` its id, written only by
// that replica (an upsert by _id has no concurrent writer, so FerretDB's non-atomic updates cannot
// interleave). Expired documents are filtered out when read; a replica that left gracefully
// deleted its own.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { ReplicaMembership } from "../../application/ports/ReplicaMembership.ts"
import { collections } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { oneBatch, run } from "./MongoOp.ts"

interface MemberDoc {
  _id: string
  expiresAt: number
}

export const make = (db: Db) => {
  const members = db.collection<MemberDoc>(collections.replicas)
  return ReplicaMembership.of({
    beat: ({ replica, now, ttlMs }) => run(() => members.replaceOne({ _id: replica }, { expiresAt: now + ttlMs }, { upsert: true })).pipe(Effect.asVoid),
    live: (now) =>
      run(() => members.find({ expiresAt: { $gt: now } }, { ...oneBatch, projection: { _id: 1 } }).toArray()).pipe(
        Effect.map((docs) => docs.map((d) => d._id).sort())
      ),
    leave: (replica) => run(() => members.deleteOne({ _id: replica })).pipe(Effect.asVoid)
  })
}

export const layer = Layer.effect(ReplicaMembership, Effect.map(MongoDb, make))
