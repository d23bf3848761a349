// Webhook inbox/outbox. The dedupe key is the document _id, so redeliveries collide on insert.
// Claims are decided by inserting lease number n+1 into a uniquely keyed collection: FerretDB 1.x
// does not apply a conditional findOneAndUpdate atomically (concurrent claimers all "win"), but a
// unique insert has exactly one winner on every server.
import { Effect } from "effect"
import { type Collection, type Db, MongoBulkWriteError } from "mongodb"
import type { CrmChange } from "../../domain/CrmChange.ts"
import type { InboxResult, PendingChange } from "../../application/ports/SyncStore.ts"
import { collections } from "./Indexes.ts"
import { orDuplicate, run } from "./MongoOp.ts"

interface InboxDoc {
  _id: string
  change: CrmChange
  receivedAt: number
  status: "pending" | "published"
  lease: number
  leaseUntil: number
}
interface LeaseDoc {
  _id: string
  key: string
  claimant: string
  until: number
}

const insertAll = async (inbox: Collection<InboxDoc>, docs: ReadonlyArray<InboxDoc>): Promise<InboxResult> => {
  if (docs.length === 0) return { stored: 0, duplicates: 0 }
  try {
    const result = await inbox.insertMany([...docs], { ordered: false })
    return { stored: result.insertedCount, duplicates: 0 }
  } catch (error) {
    const duplicatesOnly = error instanceof MongoBulkWriteError && writeErrorCodes(error).every((c) => c === 11000)
    if (!duplicatesOnly) throw error
    return { stored: error.insertedCount, duplicates: docs.length - error.insertedCount }
  }
}
const writeErrorCodes = (error: MongoBulkWriteError): ReadonlyArray<number> =>
  (Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]).map((e) => e.code)

export const makeInbox = (db: Db) => {
  const inbox = db.collection<InboxDoc>(collections.inbox)
  const leases = db.collection<LeaseDoc>(collections.leases)

  const tryClaim = (doc: InboxDoc, claimant: string, now: number, leaseMs: number) =>
    run(async (): Promise<PendingChange | undefined> => {
      const lease = doc.lease + 1
      const won = await orDuplicate(leases.insertOne({ _id: `${doc._id}#${lease}`, key: doc._id, claimant, until: now + leaseMs }))
      if (won === "duplicate") return undefined
      await inbox.updateOne({ _id: doc._id }, { $set: { lease, leaseUntil: now + leaseMs } })
      return { change: doc.change, receivedAt: doc.receivedAt }
    })

  return {
    storeChanges: (changes: ReadonlyArray<CrmChange>, receivedAt: number) =>
      run(() =>
        insertAll(
          inbox,
          changes.map((change) => ({ _id: change.key, change, receivedAt, status: "pending" as const, lease: 0, leaseUntil: 0 }))
        )
      ),
    claimPending: (limit: number, claimant: string, now: number, leaseMs: number) =>
      Effect.gen(function* () {
        const candidates = yield* run(() =>
          inbox.find({ status: "pending", leaseUntil: { $lte: now } }).sort({ receivedAt: 1, _id: 1 }).limit(limit).toArray()
        )
        const claimed = yield* Effect.forEach(candidates, (doc) => tryClaim(doc, claimant, now, leaseMs), { concurrency: 8 })
        return claimed.filter((c): c is PendingChange => c !== undefined)
      }),
    markPublished: (keys: ReadonlyArray<string>) =>
      run(async () => {
        if (keys.length === 0) return
        await inbox.updateMany({ _id: { $in: [...keys] } }, { $set: { status: "published" } })
        await leases.deleteMany({ key: { $in: [...keys] } })
      }),
    countPending: run(() => inbox.countDocuments({ status: "pending" })),
    quarantine: (body: string, reason: string, receivedAt: number) =>
      run(() => db.collection(collections.quarantine).insertOne({ body, reason, receivedAt })).pipe(Effect.asVoid)
  }
}
