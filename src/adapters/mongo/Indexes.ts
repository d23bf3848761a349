// Indexes created at start-up. Uniqueness is what makes the store correct on FerretDB 1.x, whose
// updates are not atomic under concurrency: only a unique-key insert is, so every race is
// decided by one (see MongoSnapshots, MongoIdLinks and MongoRateBudget).
import { Effect } from "effect"
import type { Collection, Db, Document, IndexSpecification } from "mongodb"

export const collections = {
  webhookInbox: "webhook_inbox",
  webhookLeases: "webhook_inbox_leases",
  webhookPublished: "webhook_inbox_published",
  quarantine: "quarantine",
  crmSnapshots: "crm_snapshots",
  commerceSnapshots: "commerce_snapshots",
  links: "links",
  ledger: "write_ledger",
  objectLeases: "object_leases",
  objectLeaseSets: "object_lease_sets",
  parked: "parked",
  budget: "rate_budget",
  backfillJobs: "backfill_jobs",
  backfillPages: "backfill_pages",
  backfillLeases: "backfill_leases",
  replicas: "replicas"
} as const

const plain: ReadonlyArray<readonly [string, IndexSpecification]> = [
  [collections.crmSnapshots, { key: 1, version: -1 }],
  [collections.commerceSnapshots, { key: 1, version: -1 }],
  [collections.ledger, { object: 1 }],
  [collections.parked, { step: 1, lastFailedAt: 1 }],
  [collections.budget, { group: 1 }]
]

const unique: ReadonlyArray<readonly [string, IndexSpecification]> = [
  [collections.links, { entity: 1, crmId: 1 }],
  [collections.links, { entity: 1, commerceId: 1 }]
]

/**
 * MongoDB deletes expired documents itself; FerretDB 1.24 answers "expireAfterSeconds is not
 * implemented yet" (code 238). Returns whether the server accepted the TTL index.
 */
export const tryTtl = (collection: Collection<Document>, field: string) =>
  Effect.promise(() =>
    collection.createIndex({ [field]: 1 }, { expireAfterSeconds: 0 }).then(
      () => true,
      () => collection.createIndex({ [field]: 1 }).then(() => false)
    )
  )

type CollectionName = (typeof collections)[keyof typeof collections]

/** Creates the indexes of these collections: each store port's layer ensures its own. */
export const ensureIndexes = (db: Db, names: ReadonlyArray<CollectionName>) =>
  Effect.promise(async () => {
    const wanted = (name: string) => (names as ReadonlyArray<string>).includes(name)
    for (const [name, spec] of plain) if (wanted(name)) await db.collection(name).createIndex(spec)
    for (const [name, spec] of unique) if (wanted(name)) await db.collection(name).createIndex(spec, { unique: true })
  })

/** Exactly the claim's sort (the collection holds only pending events, so there is no filter). */
export const ensureWebhookInboxIndexes = (db: Db) => Effect.promise(() => db.collection(collections.webhookInbox).createIndex({ receivedAt: 1, _id: 1 }))
