// WebhookInbox on MongoDB or FerretDB 1.24. Pending events are documents keyed by their dedupe
// key (a redelivery collides on insert); publishing deletes them, so claims scan only the backlog.
// The relay lease is a chain of documents keyed by epoch: taking or renewing it inserts epoch n+1,
// and the unique _id decides every race, because FerretDB does not apply conditional updates
// atomically. A lease costs a few operations per batch, however many events the batch holds.
// Published events leave their key behind for a dedupe window, so a HubSpot redelivery after
// publication is still a duplicate; intake reads those keys, then writes the events in one insert.
// FerretDB 1.24 (SQLite) pushes no filter or sort down, so every query reads the whole collection;
// only a bare limit is cheap. There the claim takes the head in natural order, which SQLite keeps
// as insertion order; MongoDB sorts on the index {receivedAt, _id}.
import { Clock, Effect, Layer } from "effect"
import { type Collection, type Db, MongoBulkWriteError, ObjectId, type OptionalUnlessRequiredId } from "mongodb"
import { type ClaimedBatch, pendingForCap, type StoredEvents, UNCLAIMED, WebhookInbox } from "../../application/ports/WebhookInbox.ts"
import type { CrmChange } from "../../domain/CrmChange.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, ensureWebhookInboxIndexes, tryTtl } from "./Indexes.ts"
import * as MongoConnection from "./MongoConnection.ts"
import { driverCall, oneBatch, orDuplicate } from "./MongoOp.ts"

interface PendingDoc {
  _id: string
  change: CrmChange
  receivedAt: number
}
interface PublishedDoc {
  _id: string
  expiresAt: Date
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

/** Inserts what is new; documents whose _id exists already are counted as duplicates. */
const insertAll = async <D extends { _id: string }>(collection: Collection<D>, docs: ReadonlyArray<OptionalUnlessRequiredId<D>>): Promise<StoredEvents> => {
  if (docs.length === 0) return { stored: 0, duplicates: 0 }
  try {
    const result = await collection.insertMany([...docs], { ordered: false })
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
  /** How long a published event's key still makes a redelivery a duplicate. */
  readonly dedupeWindowMs: number
}
/** HubSpot retries a failed delivery within minutes at first; later retries may be republished. */
export const defaultDedupeWindowMs = 60 * 60_000

/** FerretDB says so in buildInfo. */
export const isFerretDb = (db: Db): Promise<boolean> =>
  db
    .admin()
    .command({ buildInfo: 1 })
    .then((info) => "ferretdbVersion" in info)

export const make = (db: Db, options: InboxOptions = { naturalOrder: false, dedupeWindowMs: defaultDedupeWindowMs }) => {
  const inbox = db.collection<PendingDoc>(collections.webhookInbox)
  const published = db.collection<PublishedDoc>(collections.webhookPublished)
  const leases = db.collection<LeaseDoc>(collections.webhookLeases)
  const latestLease = () => leases.find({}).sort({ _id: -1 }).limit(1).next()
  const oldest = (limit: number) => (options.naturalOrder ? inbox.find({}) : inbox.find({}).sort({ receivedAt: 1, _id: 1 })).limit(limit)
  // Young events are dropped from the head read here, not by a filter in the query: FerretDB would
  // read every pending document for it. The head is the oldest, so what is dropped is the tail.
  const due = (docs: ReadonlyArray<PendingDoc>, receivedBy: number | undefined) =>
    receivedBy === undefined ? docs : docs.filter((d) => d.receivedAt <= receivedBy)

  const release = (epoch: number) => orDuplicate(leases.insertOne({ _id: epoch + 1, claimant: "", until: 0 }))

  // The events are read only once the lease is won: read before, they could include a batch that
  // another relay published and released in between, and would be published twice.
  // Three round trips, not five: a live change waits for the claim before it is published, and
  // on a busy store each round trip queues behind the backfill's writes.
  const claim = async (limit: number, claimant: string, now: number, leaseMs: number, receivedBy?: number): Promise<ClaimedBatch> => {
    // A cheap look, so an idle relay takes no lease; the chain is read beside it.
    const [head, latest] = await Promise.all([oldest(1).toArray(), latestLease()])
    if (due(head, receivedBy).length === 0) return none
    if (latest !== null && latest.claimant !== claimant && latest.until > now) return none
    const epoch = (latest?._id ?? 0) + 1
    if ((await orDuplicate(leases.insertOne({ _id: epoch, claimant, until: now + leaseMs }))) === "duplicate") return none
    // A claimant that read the chain long ago may have re-inserted a pruned epoch: only the newest
    // counts. The events are read beside that check, after the insert (read before it, they could
    // include a batch another relay published and released meanwhile), and dropped if it fails.
    const [newest, read] = await Promise.all([latestLease(), oldest(limit).toArray()])
    if (newest?._id !== epoch) return none
    const events = due(read, receivedBy)
    if (events.length === 0) {
      await release(epoch)
      return none
    }
    return { lease: String(epoch), events: events.map((doc) => ({ change: doc.change, receivedAt: doc.receivedAt })) }
  }

  // A redelivery of an event published since the read below is published again: consumers absorb it.
  const store = async (changes: ReadonlyArray<CrmChange>, receivedAt: number): Promise<StoredEvents> => {
    if (changes.length === 0) return { stored: 0, duplicates: 0 }
    const seen = await published.find({ _id: { $in: changes.map((c) => c.key) } }, { projection: { _id: 1 } }).toArray()
    const known = new Set(seen.map((doc) => doc._id))
    const result = await insertAll(
      inbox,
      changes.filter((c) => !known.has(c.key)).map((change) => ({ _id: change.key, change, receivedAt }))
    )
    return { stored: result.stored, duplicates: changes.length - result.stored }
  }

  const markPublished = async (batch: ClaimedBatch, now: number) => {
    if (batch.events.length > 0) {
      const expiresAt = new Date(now + options.dedupeWindowMs)
      // Keys first: a crash after it leaves the events pending, to be published again, never lost.
      await insertAll(
        published,
        batch.events.map((e) => ({ _id: e.change.key, expiresAt }))
      )
      // The receivedAt bound is redundant but cheap: a server that scans rejects most documents on it
      // before testing the long $in list.
      const newest = batch.events.reduce((max, e) => Math.max(max, e.receivedAt), 0)
      await inbox.deleteMany({ receivedAt: { $lte: newest }, _id: { $in: batch.events.map((e) => e.change.key) } })
    }
    if (batch.lease === UNCLAIMED || batch.lease === "") return
    const epoch = Number(batch.lease)
    // Releasing is inserting the next epoch, free; a duplicate means the lease was taken over already.
    await release(epoch)
    // Claims take odd or even epochs depending on the history (a claim and its release take two),
    // so either residue of the pair prunes.
    if (epoch % pruneEvery <= 1) await leases.deleteMany({ _id: { $lt: epoch - keepEpochs } })
  }

  return WebhookInbox.of({
    store: (changes, receivedAt) => driverCall(() => store(changes, receivedAt)),
    quarantine: (payloads) =>
      driverCall(async () => {
        if (payloads.length > 0) await db.collection(collections.quarantine).insertMany(payloads.map((p) => ({ ...p })))
      }),
    claim: ({ limit, claimant, now, leaseMs, receivedBy }) => driverCall(() => claim(limit, claimant, now, leaseMs, receivedBy)),
    markPublished: (batch) => Effect.flatMap(Clock.currentTimeMillis, (now) => driverCall(() => markPublished(batch, now))),
    backlog: driverCall(async () => {
      const [pending, first] = await Promise.all([inbox.countDocuments({}), oldest(1).next()])
      return { pending, oldestReceivedAt: first?.receivedAt }
    }),
    // The backlog is all the collection holds (published events are deleted), so the scan is small.
    pendingFor: (objectType, objectIds) =>
      driverCall(async () => {
        if (objectIds.length === 0) return []
        const ids = { $in: [...objectIds] }
        const docs = await inbox
          .find(
            {
              $or: [
                { "change.objectType": objectType, "change.objectId": ids },
                { "change.associatedObjectType": objectType, "change.associatedObjectId": ids }
              ]
            },
            oneBatch
          )
          .sort({ receivedAt: 1, _id: 1 })
          .limit(pendingForCap)
          .toArray()
        return docs.map((doc) => ({ change: doc.change, receivedAt: doc.receivedAt }))
      }),
    quarantined: driverCall(async () => {
      const docs = await db.collection(collections.quarantine).find({}, oneBatch).sort({ receivedAt: 1, _id: 1 }).limit(1000).toArray()
      return docs.map((d) => ({ id: String(d._id), body: String(d.body), reason: String(d.reason), receivedAt: Number(d.receivedAt) }))
    }),
    release: (ids) =>
      driverCall(async () => {
        // Ids are ObjectIds as hex; anything else cannot name a stored payload.
        const valid = ids.filter((id) => ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id)).map((id) => new ObjectId(id))
        if (valid.length > 0) await db.collection(collections.quarantine).deleteMany({ _id: { $in: valid } })
      })
  })
}

/** On the process's shared connection. */
export const layerOnDb = Layer.effect(
  WebhookInbox,
  Effect.gen(function* () {
    const db = yield* MongoConnection.MongoDb
    yield* ensureWebhookInboxIndexes(db)
    const published = db.collection(collections.webhookPublished)
    // Every key lives the dedupe window: the sweep reads only the expired head.
    yield* expire(published, "expiresAt", yield* tryTtl(published, "expiresAt"), 60_000, true)
    return make(db, { naturalOrder: yield* Effect.promise(() => isFerretDb(db)), dedupeWindowMs: defaultDedupeWindowMs })
  })
)

export const layer = (options: MongoConnection.MongoOptions) => layerOnDb.pipe(Layer.provide(MongoConnection.dbLayer(options)))
