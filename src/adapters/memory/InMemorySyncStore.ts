// SyncStore in process memory, with the same semantics as MongoSyncStore (freshness-guarded
// snapshots, links unique per side, expiring ledger). JavaScript runs one synchronous block at a
// time, so each method body is as atomic as one Mongo document op.
import { Effect, Layer, Option } from "effect"
import type { CommerceEntity, Side } from "../../domain/CorrespondenceTable.ts"
import { freshness } from "../../domain/ConflictRules.ts"
import {
  type Checkpoint,
  type LedgerEntry,
  type ParkedFilter,
  type ParkedItem,
  type Snapshot,
  SyncStore
} from "../../application/ports/SyncStore.ts"

interface Links {
  readonly byCrm: Map<string, string>
  readonly byCommerce: Map<string, string>
}

/** Parked items in a time range: `from` inclusive, `to` exclusive, on `lastFailedAt` (when it was parked). */
export const matchesParked = (filter: ParkedFilter) => (item: ParkedItem): boolean =>
  (filter.step === undefined || item.step === filter.step) &&
  (filter.type === undefined || item.message.type === filter.type) &&
  (filter.from === undefined || item.lastFailedAt >= filter.from) &&
  (filter.to === undefined || item.lastFailedAt < filter.to) &&
  (filter.includeReplayed === true || item.replayedAt === undefined)

const ledgerKey = (side: Side, objectKey: string, property: string, valueHash: string) =>
  JSON.stringify([side, objectKey, property, valueHash])

const unlink = (links: Links, crmId: string | undefined, commerceId: string | undefined) => {
  const oldCommerce = crmId === undefined ? undefined : links.byCrm.get(crmId)
  if (oldCommerce !== undefined) links.byCommerce.delete(oldCommerce)
  const oldCrm = commerceId === undefined ? undefined : links.byCommerce.get(commerceId)
  if (oldCrm !== undefined) links.byCrm.delete(oldCrm)
  if (crmId !== undefined) links.byCrm.delete(crmId)
  if (commerceId !== undefined) links.byCommerce.delete(commerceId)
}

const setLink = (links: Links, crmId: string, commerceId: string) => {
  unlink(links, crmId, commerceId)
  links.byCrm.set(crmId, commerceId)
  links.byCommerce.set(commerceId, crmId)
}

export const make = Effect.sync(() => {
  const snapshots = new Map<string, Snapshot>()
  const links = new Map<CommerceEntity, Links>()
  const ledger = new Map<string, number>()
  const parked = new Map<string, ParkedItem>()
  const checkpoints = new Map<string, Checkpoint>()

  const linksOf = (entity: CommerceEntity): Links => {
    const existing = links.get(entity)
    if (existing !== undefined) return existing
    const created: Links = { byCrm: new Map(), byCommerce: new Map() }
    links.set(entity, created)
    return created
  }

  return SyncStore.of({
    saveSnapshot: (snapshot) =>
      Effect.sync(() => {
        const key = `${snapshot.type}:${snapshot.id}`
        const verdict = freshness(snapshot.version, snapshots.get(key)?.version)
        if (verdict !== "older") snapshots.set(key, snapshot)
        return verdict
      }),
    getSnapshot: (type, id) => Effect.sync(() => Option.fromUndefinedOr(snapshots.get(`${type}:${id}`))),

    link: (entity, crmId, commerceId) => Effect.sync(() => setLink(linksOf(entity), crmId, commerceId)),
    commerceIdOf: (entity, crmId) => Effect.sync(() => Option.fromUndefinedOr(linksOf(entity).byCrm.get(crmId))),
    crmIdOf: (entity, commerceId) => Effect.sync(() => Option.fromUndefinedOr(linksOf(entity).byCommerce.get(commerceId))),
    repoint: (entity, mergedCrmIds, survivorCrmId) =>
      Effect.sync(() => {
        const l = linksOf(entity)
        for (const merged of mergedCrmIds) {
          const commerceId = l.byCrm.get(merged)
          if (merged === survivorCrmId || commerceId === undefined || l.byCrm.has(survivorCrmId)) continue
          setLink(l, survivorCrmId, commerceId)
        }
      }),

    recordWrites: (entries: ReadonlyArray<LedgerEntry>) =>
      Effect.sync(() => {
        for (const e of entries) {
          const key = ledgerKey(e.side, e.objectKey, e.property, e.valueHash)
          ledger.set(key, Math.max(ledger.get(key) ?? 0, e.expiresAt))
        }
      }),
    isEcho: (side, objectKey, property, valueHash, now) =>
      Effect.sync(() => (ledger.get(ledgerKey(side, objectKey, property, valueHash)) ?? 0) > now),

    park: (item) => Effect.sync(() => void parked.set(item.id, item)),
    listParked: (filter) =>
      Effect.sync(() => [...parked.values()].filter(matchesParked(filter)).sort((a, b) => a.lastFailedAt - b.lastFailedAt)),
    markReplayed: (ids, at) =>
      Effect.sync(() => {
        for (const id of ids) {
          const item = parked.get(id)
          if (item !== undefined) parked.set(id, { ...item, replayedAt: at })
        }
      }),

    saveCheckpoint: (checkpoint) => Effect.sync(() => void checkpoints.set(checkpoint.runId, checkpoint)),
    loadCheckpoint: (runId) => Effect.sync(() => Option.fromUndefinedOr(checkpoints.get(runId)))
  })
})

export const layer = Layer.effect(SyncStore, make)
