// SyncStore on MongoDB or a MongoDB-wire server (FerretDB 1.x). Every race is decided by a
// unique-key insert or a whole-document replace, because FerretDB 1.x applies updates
// (conditional findOneAndUpdate, $inc) as read-modify-write without isolation.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { SyncStore } from "../../application/ports/SyncStore.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, ensureSyncStoreIndexes, tryTtl } from "./Indexes.ts"
import { makeLinks } from "./Links.ts"
import * as MongoConnection from "./MongoConnection.ts"
import { makeRecords } from "./Records.ts"
import { makeSnapshots } from "./Snapshots.ts"

export const make = Effect.fnUntraced(function* (db: Db) {
  yield* ensureSyncStoreIndexes(db)
  const ledger = db.collection(collections.ledger)
  yield* expire(ledger, "expiresAt", yield* tryTtl(ledger, "expiresAt"))
  return SyncStore.of({ ...makeSnapshots(db), ...makeLinks(db), ...makeRecords(db) })
})

export const layer = (options: MongoConnection.MongoOptions) =>
  Layer.effect(SyncStore, Effect.flatMap(MongoConnection.acquire(options), make))

export const layerConfig = Layer.unwrap(Effect.map(MongoConnection.config, layer))
