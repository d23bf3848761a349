// SyncStore on MongoDB or a MongoDB-wire server (FerretDB 1.x): the inbox, and the parked items
// it shares with the ParkedItems adapter. Every race is decided by a unique-key insert or a
// whole-document replace, because FerretDB 1.x applies updates (conditional findOneAndUpdate,
// $inc) as read-modify-write without isolation.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { SyncStore } from "../../application/ports/SyncStore.ts"
import { collections, ensureIndexes } from "./Indexes.ts"
import { makeInbox } from "./Inbox.ts"
import * as MongoConnection from "./MongoConnection.ts"
import { makeParked } from "./MongoParkedItems.ts"

export const make = Effect.fnUntraced(function* (db: Db) {
  yield* ensureIndexes(db, [collections.inbox, collections.leases, collections.parked])
  const parked = makeParked(db)
  return SyncStore.of({
    ...makeInbox(db),
    park: (item) => parked.park([item]),
    listParked: parked.list,
    markReplayed: parked.markReplayed
  })
})

/** On the connection the other store ports share (MongoConnection.dbLayer). */
export const layerOnDb = Layer.effect(SyncStore, Effect.flatMap(MongoConnection.MongoDb, make))

export const layer = (options: MongoConnection.MongoOptions) =>
  Layer.effect(SyncStore, Effect.flatMap(MongoConnection.acquire(options), make))

export const layerConfig = Layer.unwrap(Effect.map(MongoConnection.config, layer))
