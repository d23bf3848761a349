// ObjectLeases on MongoDB / FerretDB: a lease is a document whose _id is the object's key, so the
// unique-_id insert decides every race (FerretDB applies concurrent updates non-atomically). An
// expired lease is deleted by _id and expiry, then inserted again: of two takers, one insert wins.
// Released leases are deleted, so the collection holds only the objects being written.
//
// A large take (a backfill page: a thousand keys) is one document instead, a lease set listing its
// keys: a thousand lease inserts and their delete cost FerretDB 1.24 about a quarter of a backfill
// page's store CPU (~0.1 s per 1 000 records), the set one insert and one delete. Set and key
// leases exclude each other the way two flags do (Dekker): each taker first writes its claim (the
// set, or its key leases) and then reads the other kind; of two takers that claim a key at once,
// at least one sees the other's claim, and whoever sees one gives the key up (both may: the key
// is then asked for again). Two sets exclude each other the same way. On FerretDB, as on MongoDB,
// a read begun after an insert was acknowledged sees it: that is all this needs, no atomic update.
import { Effect, Layer, Option, Schema } from "effect"
import type { Collection, Db } from "mongodb"
import { ObjectLeases } from "../../application/ports/ObjectLeases.ts"
import { collections } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { duplicatesOf, oneBatch, run } from "./MongoOp.ts"

interface LeaseDoc {
  _id: string
  holder: string
  expiresAt: number
}

interface LeaseSetDoc {
  /** The holder's: one set per taking batch. */
  _id: string
  /** JSON array of the keys: one text field, which FerretDB stores and returns without parsing each key. */
  keys: string
  expiresAt: number
}

/** From this many keys a take is one lease set; below, key leases (a live batch: a few keys). */
export const LEASE_SET_FROM = 64

const Keys = Schema.fromJsonString(Schema.Array(Schema.String))
const decodeKeys = Schema.decodeUnknownOption(Keys)

/** The keys other holders' unexpired sets claim. A set whose keys do not decode (no writer of ours makes one) claims none. */
const claimedBySets = async (sets: Collection<LeaseSetDoc>, holder: string, now: number): Promise<ReadonlySet<string>> => {
  // Few documents (one per running backfill page): read whole, compared here, as FerretDB would scan them anyway.
  const docs = await sets.find({}, oneBatch).toArray()
  const claimed = new Set<string>()
  for (const d of docs) if (d._id !== holder && d.expiresAt > now) for (const key of Option.getOrElse(decodeKeys(d.keys), () => [])) claimed.add(key)
  // A crashed holder's set claims nothing once expired; deleted here so the collection stays small.
  const expired = docs.filter((d) => d.expiresAt <= now).map((d) => d._id)
  if (expired.length > 0) await sets.deleteMany({ _id: { $in: expired } })
  return claimed
}

export const make = (db: Db) => {
  const leases = db.collection<LeaseDoc>(collections.objectLeases)
  const sets = db.collection<LeaseSetDoc>(collections.objectLeaseSets)
  // Holders that took a set (in this process, until they release it): their release deletes it.
  const setHolders = new Set<string>()
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

  /** Key leases, then the keys a set claims given up again. */
  const takeKeys = async (unique: ReadonlyArray<string>, holder: string, now: number, leaseMs: number): Promise<ReadonlySet<string>> => {
    const taken = new Set(await takeEach(unique, holder, now, leaseMs))
    if (taken.size === 0) return taken
    const claimed = await claimedBySets(sets, holder, now)
    const yielded = [...taken].filter((k) => claimed.has(k))
    if (yielded.length === 0) return taken
    await leases.deleteMany({ _id: { $in: yielded }, holder })
    for (const k of yielded) taken.delete(k)
    return taken
  }

  const takeEach = async (unique: ReadonlyArray<string>, holder: string, now: number, leaseMs: number): Promise<ReadonlyArray<string>> => {
    const first = await insert(unique, holder, now + leaseMs)
    if (first.length === unique.length) return first
    // A set, not a list search: a take may hold many keys.
    const inserted = new Set(first)
    const lost = unique.filter((k) => !inserted.has(k))
    // Held by someone: only an expired lease may be taken over, and by one taker only. A delete
    // cannot decide that on FerretDB (two takers' deletes may both match), so the takers race
    // to insert a marker named after that very lease (key + its expiry); the winner deletes the
    // expired lease and inserts its own, which still loses to anyone who took the key meanwhile.
    const expired = (await leases.find({ _id: { $in: lost } }, oneBatch).toArray()).filter((d) => d.expiresAt <= now)
    if (expired.length === 0) return first
    const won = await winMarkers(expired, holder, now, leaseMs)
    if (won.length === 0) return first
    await leases.deleteMany({ $or: won.map(({ lease }) => ({ _id: lease._id, expiresAt: lease.expiresAt })) })
    const retaken = await insert(
      won.map(({ lease }) => lease._id),
      holder,
      now + leaseMs
    )
    await leases.deleteMany({ _id: { $in: won.flatMap(({ markers }) => markers) } })
    return [...first, ...retaken]
  }

  /**
   * The expired leases whose takeover this holder won, each with the markers to delete once it is
   * done. A taker that dies between inserting its marker and deleting it (a connection reset) leaves
   * the marker behind, and every later taker of the key would lose to it for good: once the marker's
   * own lease has expired too, it is taken over the same way, by a marker named after it, so each
   * generation still has one winner. The dead takers' markers are deleted with the winner's.
   */
  const winMarkers = async (expired: ReadonlyArray<LeaseDoc>, holder: string, now: number, leaseMs: number) => {
    type Attempt = { readonly lease: LeaseDoc; readonly markers: ReadonlyArray<string> }
    const markerOf = (d: LeaseDoc) => `${d._id}#expired@${d.expiresAt}`
    const current = (a: Attempt) => a.markers[a.markers.length - 1] as string
    const won: Array<Attempt> = []
    let trying: ReadonlyArray<Attempt> = expired.map((lease) => ({ lease, markers: [markerOf(lease)] }))
    // No bound: the chain grows by one marker per dead taker, at most one a lease's time.
    while (trying.length > 0) {
      const got = new Set(await insert(trying.map(current), holder, now + leaseMs))
      won.push(...trying.filter((a) => got.has(current(a))))
      const lostTo = trying.filter((a) => !got.has(current(a)))
      if (lostTo.length === 0) break
      const stale = new Map(
        (await leases.find({ _id: { $in: lostTo.map(current) } }, oneBatch).toArray()).filter((d) => d.expiresAt <= now).map((d) => [d._id, d])
      )
      trying = lostTo.flatMap((a) => {
        const marker = stale.get(current(a))
        return marker === undefined ? [] : [{ lease: a.lease, markers: [...a.markers, markerOf(marker)] }]
      })
    }
    return won
  }

  /** One set document, then the keys held by unexpired key leases or other sets left out. */
  const takeSet = async (unique: ReadonlyArray<string>, holder: string, now: number, leaseMs: number): Promise<ReadonlySet<string>> => {
    await sets.insertOne({ _id: holder, keys: JSON.stringify(unique), expiresAt: now + leaseMs })
    try {
      const [held, claimed] = await Promise.all([
        leases.find({ _id: { $in: [...unique] } }, { ...oneBatch, projection: { expiresAt: 1 } }).toArray(),
        claimedBySets(sets, holder, now)
      ])
      setHolders.add(holder)
      // An expired key lease is a crashed holder's: free for the set (a later key taker sees the set).
      const busy = new Set(held.filter((d) => d.expiresAt > now).map((d) => d._id))
      return new Set(unique.filter((k) => !busy.has(k) && !claimed.has(k)))
    } catch (error) {
      // A take that fails is not released by its caller: its set must not claim the keys until it expires.
      await sets.deleteOne({ _id: holder }).catch(() => undefined)
      throw error
    }
  }

  return ObjectLeases.of({
    take: ({ keys, holder, now, leaseMs }) =>
      run(async () => {
        const unique = [...new Set(keys)]
        return unique.length >= LEASE_SET_FROM ? await takeSet(unique, holder, now, leaseMs) : await takeKeys(unique, holder, now, leaseMs)
      }),
    release: (keys, holder) =>
      run(async () => {
        if (setHolders.delete(holder)) {
          await sets.deleteOne({ _id: holder })
          return
        }
        if (keys.length > 0) await leases.deleteMany({ _id: { $in: [...keys] }, holder })
      })
  })
}

export const layer = Layer.effect(ObjectLeases, Effect.map(MongoDb, make))
