// ObjectLeases on MongoDB / FerretDB: a lease is a document whose _id is the object's key, so the
// unique-_id insert decides every race (FerretDB applies concurrent updates non-atomically). An
// expired lease is deleted by _id and expiry, then inserted again: of two takers, one insert wins.
// Released leases are deleted, so the collection holds only the objects being written.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { ObjectLeases } from "../../application/ports/ObjectLeases.ts"
import { collections } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { duplicatesOf, oneBatch, run } from "./MongoOp.ts"

interface LeaseDoc {
  _id: string
  holder: string
  expiresAt: number
}

export const make = (db: Db) => {
  const leases = db.collection<LeaseDoc>(collections.objectLeases)
  const insert = async (keys: ReadonlyArray<string>, holder: string, expiresAt: number): Promise<ReadonlyArray<string>> => {
    if (keys.length === 0) return []
    const lost = await duplicatesOf(() =>
      leases.insertMany(
        keys.map((_id) => ({ _id, holder, expiresAt })),
        { ordered: false }
      )
    )
    return keys.filter((_, i) => !lost.has(i))
  }
  return ObjectLeases.of({
    take: ({ keys, holder, now, leaseMs }) =>
      run(async () => {
        const unique = [...new Set(keys)]
        const first = await insert(unique, holder, now + leaseMs)
        if (first.length === unique.length) return new Set(first)
        // A set, not a list search: a backfill page takes a thousand keys.
        const taken = new Set(first)
        const lost = unique.filter((k) => !taken.has(k))
        // Held by someone: only an expired lease may be taken over, and by one taker only. A delete
        // cannot decide that on FerretDB (two takers' deletes may both match), so the takers race
        // to insert a marker named after that very lease (key + its expiry); the winner deletes the
        // expired lease and inserts its own, which still loses to anyone who took the key meanwhile.
        const expired = (await leases.find({ _id: { $in: lost } }, oneBatch).toArray()).filter((d) => d.expiresAt <= now)
        if (expired.length === 0) return new Set(first)
        const markers = expired.map((d) => `${d._id}#expired@${d.expiresAt}`)
        const won = await insert(markers, holder, now + leaseMs)
        const wonMarkers = new Set(won)
        const winners = expired.filter((_, i) => wonMarkers.has(markers[i] as string))
        if (winners.length === 0) return new Set(first)
        await leases.deleteMany({ $or: winners.map((d) => ({ _id: d._id, expiresAt: d.expiresAt })) })
        const retaken = await insert(
          winners.map((d) => d._id),
          holder,
          now + leaseMs
        )
        await leases.deleteMany({ _id: { $in: won } })
        return new Set([...first, ...retaken])
      }),
    release: (keys, holder) => (keys.length === 0 ? Effect.void : run(() => leases.deleteMany({ _id: { $in: [...keys] }, holder })).pipe(Effect.asVoid))
  })
}

export const layer = Layer.effect(ObjectLeases, Effect.map(MongoDb, make))
