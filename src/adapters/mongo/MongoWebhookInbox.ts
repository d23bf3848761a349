// WebhookInbox on MongoDB or FerretDB 1.24. Pending events are documents keyed by their dedupe
// key (a redelivery collides on insert); publishing deletes them, so claims scan only the backlog.
// The relay lease is a chain of documents keyed by epoch: taking or renewing it inserts epoch n+1,
// and the unique _id decides every race, because FerretDB does not apply conditional updates
// atomically. A lease costs a few operations per batch, however many events the batch holds.
// FerretDB 1.24 (SQLite) pushes no filter or sort down, so every query reads the whole collection;
// only a bare limit is cheap. There the claim takes the head in natural order, which SQLite keeps
// as insertion order; MongoDB sorts on the index {receivedAt, _id}.
import { Effect, Layer } from "effect"
import { type Collection, type Db, MongoBulkWriteError } from "mongodb"
import type { CrmChange } from "../../domain/CrmChange.ts"
import { type ClaimedBatch, type StoredEvents, WebhookInbox } from "../../application/ports/WebhookInbox.ts"
import { collections, ensureWebhookInboxIndexes } from "./Indexes.ts"
import * as MongoConnection from "./MongoConnection.ts"
import { orDuplicate } from "./MongoOp.ts"
import { runStoreOp } from "./RunStoreOp.ts"

interface PendingDoc {
  _id: string
  change: CrmChange
  receivedAt: number
}
interface LeaseDoc {
  _id: number
  /** Empty once released. */
  claimant: string
  until: number
}

const none: ClaimedBatch = { lease: "", events: [] }
/** Old lease documents are pruned every this many epochs, keeping the last few. */
const pruneEvery = 20
const keepEpochs = 5

const writeErrorCodes = (error: MongoBulkWriteError): ReadonlyArray<number> =>
  (Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]).map((e) => e.code)

const insertAll = async (inbox: Collection<PendingDoc>, docs: ReadonlyArray<PendingDoc>): Promise<StoredEvents> => {
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

export interface InboxOptions {
  /** Claim in insertion (natural) order instead of sorting: for servers that cannot use the index. */
  readonly naturalOrder: boolean
}

/** FerretDB says so in buildInfo. */
export const isFerretDb = (db: Db): Promise<boolean> => db.admin().command({ buildInfo: 1 }).then((info) => "ferretdbVersion" in info)

export const make = (db: Db, options: InboxOptions = { naturalOrder: false }) => {
  const inbox = db.collection<PendingDoc>(collections.webhookInbox)
  const leases = db.collection<LeaseDoc>(collections.webhookLeases)
  const latestLease = () => leases.find({}).sort({ _id: -1 }).limit(1).next()
  const oldest = (limit: number) => (options.naturalOrder ? inbox.find({}) : inbox.find({}).sort({ receivedAt: 1, _id: 1 })).limit(limit)

  // Reading the events before the lease is safe: while another lease is valid we return nothing,
  // and once it has expired its holder may republish anyway.
  const claim = async (limit: number, claimant: string, now: number, leaseMs: number): Promise<ClaimedBatch> => {
    const events = await oldest(limit).toArray()
    if (events.length === 0) return none
    const latest = await latestLease()
    if (latest !== null && latest.claimant !== claimant && latest.until > now) return none
    const epoch = (latest?._id ?? 0) + 1
    if ((await orDuplicate(leases.insertOne({ _id: epoch, claimant, until: now + leaseMs }))) === "duplicate") return none
    // A claimant that read the chain long ago may have re-inserted a pruned epoch: only the newest counts.
    if ((await latestLease())?._id !== epoch) return none
    return { lease: String(epoch), events: events.map((doc) => ({ change: doc.change, receivedAt: doc.receivedAt })) }
  }

  const markPublished = async (batch: ClaimedBatch) => {
    if (batch.events.length === 0) return
    // The receivedAt bound is redundant but cheap: a server that scans rejects most documents on it
    // before testing the long $in list.
    const newest = batch.events.reduce((max, e) => Math.max(max, e.receivedAt), 0)
    await inbox.deleteMany({ receivedAt: { $lte: newest }, _id: { $in: batch.events.map((e) => e.change.key) } })
    const epoch = Number(batch.lease)
    // Releasing is inserting the next epoch, free; a duplicate means the lease was taken over already.
    await orDuplicate(leases.insertOne({ _id: epoch + 1, claimant: "", until: 0 }))
    if (epoch % pruneEvery === 0) await leases.deleteMany({ _id: { $lt: epoch - keepEpochs } })
  }

  return WebhookInbox.of({
    store: (changes, receivedAt) => runStoreOp(() => insertAll(inbox, changes.map((change) => ({ _id: change.key, change, receivedAt })))),
    quarantine: (payloads) =>
      runStoreOp(async () => {
        if (payloads.length > 0) await db.collection(collections.quarantine).insertMany(payloads.map((p) => ({ ...p })))
      }),
    claim: ({ limit, claimant, now, leaseMs }) => runStoreOp(() => claim(limit, claimant, now, leaseMs)),
    markPublished: (batch) => runStoreOp(() => markPublished(batch)),
    backlog: runStoreOp(async () => {
      const [pending, first] = await Promise.all([inbox.countDocuments({}), oldest(1).next()])
      return { pending, oldestReceivedAt: first?.receivedAt }
    })
  })
}

export const layer = (options: MongoConnection.MongoOptions) =>
  Layer.effect(
    WebhookInbox,
    Effect.gen(function* () {
      const db = yield* MongoConnection.acquire(options)
      yield* ensureWebhookInboxIndexes(db)
      return make(db, { naturalOrder: yield* Effect.promise(() => isFerretDb(db)) })
    })
  )
