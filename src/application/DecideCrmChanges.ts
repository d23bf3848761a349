// Flow A's decisions for a whole batch of CRM changes, as pure functions over what the handler
// loaded: which changes are echoes or already carried (skip), which publish a deletion or a
// merge, which objects to read, and — once read — what the shop receives, what the ledger and
// the snapshots remember, and which message failed.
import { Result } from "effect"
import { freshness } from "../domain/ConflictRules.ts"
import { type CommerceEntity, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmChange } from "../domain/CrmChange.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { sharedProperties } from "../domain/Mapping.ts"
import { type EntityDelete, type EntityMerge, type EntityUpsert, routingKeys } from "./CommerceMessages.ts"
import type { LaneName } from "./Lane.ts"
import { ARCHIVED, commerceWrites, crmLedgerKey, isOwnCrmWrite, type Ledger } from "./LedgerEntries.ts"
import type { IdLink, LinkKey } from "./ports/IdLinks.ts"
import type { CommerceKey, CommerceSnapshot, CrmKey, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerEntry, LedgerKey } from "./ports/WriteLedger.ts"
import { associationsOf, buildUpsert, commerceIdOf, type CrmRecord, isEmptyPatch, linkTargets, parentRank } from "./ShopUpserts.ts"
import type { OutgoingMessage } from "./Step.ts"

export interface ChangeInput {
  /** Position of the message in the batch. */
  readonly index: number
  readonly change: CrmChange
  readonly lane: LaneName
}

const objectKey = (type: string, id: string) => `${type}:${id}`
const isRemoval = (change: CrmChange) => change.kind === "deletion" || change.kind === "privacyDeletion"
const survivorOf = (change: CrmChange) => change.primaryObjectId ?? change.objectId
const mergedOf = (change: CrmChange) => (change.mergedObjectIds ?? []).filter((id) => id !== survivorOf(change))

const message = (type: string, id: string, payload: unknown, occurredAt: number, lane: LaneName): OutgoingMessage => ({ id, type, payload, occurredAt, lane })

/** Stored links as a lookup by CRM id. */
export class LinkIndex {
  private readonly byCrm = new Map<string, string>()
  constructor(links: ReadonlyArray<IdLink>) {
    for (const l of links) this.byCrm.set(objectKey(l.entity, l.crmId), l.commerceId)
  }
  commerceId(entity: CommerceEntity, crmId: string): string | undefined {
    return this.byCrm.get(objectKey(entity, crmId))
  }
  /** What `IdLinks.repoint` will do: a survivor without a link takes the first merged one's. */
  repoint(entity: CommerceEntity, merged: ReadonlyArray<string>, survivor: string): void {
    for (const id of merged) {
      const commerceId = this.commerceId(entity, id)
      if (commerceId === undefined || this.commerceId(entity, survivor) !== undefined) continue
      this.byCrm.set(objectKey(entity, survivor), commerceId)
      this.byCrm.delete(objectKey(entity, id))
    }
  }
}

/** Round 1: what to load before anything is read from HubSpot. */
export const triageKeys = (inputs: ReadonlyArray<ChangeInput>): { readonly snapshots: ReadonlyArray<CrmKey>; readonly ledger: ReadonlyArray<LedgerKey>; readonly links: ReadonlyArray<LinkKey> } => ({
  snapshots: inputs.filter(({ change }) => !isRemoval(change) && change.kind !== "merge").map(({ change }) => ({ type: change.objectType, id: change.objectId })),
  ledger: inputs.map(({ change }) => crmLedgerKey(change.objectType, change.objectId)),
  links: inputs.flatMap(({ change }) =>
    isRemoval(change) ? [{ entity: entityOf[change.objectType], id: change.objectId }] : change.kind === "merge" ? [survivorOf(change), ...mergedOf(change)].map((id) => ({ entity: entityOf[change.objectType], id })) : []
  )
})

export interface Wanted {
  readonly index: number
  readonly lane: LaneName
  readonly type: CrmObjectType
  readonly id: string
}
export interface Repoint {
  readonly entity: CommerceEntity
  readonly merged: ReadonlyArray<string>
  readonly survivor: string
}
export interface Triage {
  /** Deletions and merges, in message order. */
  readonly publish: ReadonlyArray<OutgoingMessage>
  readonly repoints: ReadonlyArray<Repoint>
  /** Objects whose current state (and neighbours) the shop should get. */
  readonly wanted: ReadonlyArray<Wanted>
}

/**
 * Decides each change before any HubSpot read: our own echo and a change a later read already
 * carried are dropped; deletions and merges say what they say with the ids known now (so a
 * retried publish says exactly the same thing); the rest (and merge survivors) want a read.
 */
export const triage = (inputs: ReadonlyArray<ChangeInput>, snapshots: ReadonlyArray<CrmSnapshot>, ledger: Ledger, links: ReadonlyArray<IdLink>): Triage => {
  const stored = new Map(snapshots.map((s) => [objectKey(s.type, s.id), s]))
  const index = new LinkIndex(links)
  const publish: Array<OutgoingMessage> = []
  const repoints: Array<Repoint> = []
  const wanted: Array<Wanted> = []
  for (const { index: i, change, lane } of inputs) {
    const entity = entityOf[change.objectType]
    if (change.kind === "propertyChange" && change.propertyName !== undefined && change.propertyValue !== undefined) {
      if (isOwnCrmWrite(ledger, change.objectType, change.objectId, { [change.propertyName]: change.propertyValue })) continue
    }
    if (isRemoval(change)) {
      if (isOwnCrmWrite(ledger, change.objectType, change.objectId, ARCHIVED)) continue
      const commerceId = index.commerceId(entity, change.objectId)
      const payload: EntityDelete = { entity, crmId: change.objectId, version: change.occurredAt, ...(commerceId === undefined ? {} : { commerceId }) }
      publish.push(message(routingKeys.delete(entity), change.key, payload, change.occurredAt, lane))
      continue
    }
    if (change.kind === "merge") {
      const survivor = survivorOf(change)
      const merged = mergedOf(change)
      const survivorCommerceId = index.commerceId(entity, survivor)
      const payload: EntityMerge = {
        entity,
        survivorCrmId: survivor,
        mergedCrmIds: merged,
        mergedCommerceIds: merged.flatMap((id) => index.commerceId(entity, id) ?? []).filter((id) => id !== survivorCommerceId),
        version: change.occurredAt,
        ...(survivorCommerceId === undefined ? {} : { survivorCommerceId })
      }
      publish.push(message(routingKeys.merge(entity), change.key, payload, change.occurredAt, lane))
      repoints.push({ entity, merged, survivor })
      wanted.push({ index: i, lane, type: change.objectType, id: survivor })
      continue
    }
    // Coalescing: a read made after this event already carried its effect to the platform.
    const snapshot = stored.get(objectKey(change.objectType, change.objectId))
    if (snapshot !== undefined && snapshot.version >= change.occurredAt && change.kind !== "associationChange") continue
    wanted.push({ index: i, lane, type: change.objectType, id: change.objectId })
  }
  return { publish, repoints, wanted }
}

/** The records read so far, by type and id. */
export type ReadRecords = ReadonlyMap<string, CrmRecord>

/** Ids to read per type, each once. */
export const idsByType = (keys: ReadonlyArray<{ readonly type: CrmObjectType; readonly id: string }>, already: ReadRecords = new Map()): ReadonlyMap<CrmObjectType, ReadonlyArray<string>> => {
  const out = new Map<CrmObjectType, Set<string>>()
  for (const { type, id } of keys) if (!already.has(objectKey(type, id))) out.set(type, (out.get(type) ?? new Set()).add(id))
  return new Map([...out].map(([type, ids]) => [type, [...ids]]))
}

/** The neighbours each wanted record travels with: a company its contacts, a contact its company, an order both. */
const neighboursOf = (item: CrmRecord): ReadonlyArray<{ readonly type: CrmObjectType; readonly id: string }> =>
  item.type === "company"
    ? item.record.contactIds.map((id) => ({ type: "contact" as const, id }))
    : item.type === "contact"
      ? item.record.companyIds.slice(0, 1).map((id) => ({ type: "company" as const, id }))
      : [...item.record.companyIds.slice(0, 1).map((id) => ({ type: "company" as const, id })), ...item.record.contactIds.slice(0, 1).map((id) => ({ type: "contact" as const, id }))]

/** Round 2: the neighbours of the wanted records that were found. */
export const neighbourKeys = (wanted: ReadonlyArray<Wanted>, records: ReadRecords) =>
  wanted.flatMap((w) => {
    const item = records.get(objectKey(w.type, w.id))
    return item === undefined ? [] : neighboursOf(item)
  })

/** The record with what the platform needs alongside it, parents first (missing ones left out). */
const around = (w: Wanted, records: ReadRecords): ReadonlyArray<CrmRecord> => {
  const item = records.get(objectKey(w.type, w.id))
  if (item === undefined) return []
  const found = neighboursOf(item).flatMap(({ type, id }) => records.get(objectKey(type, id)) ?? [])
  return [...found, item].sort((a, b) => parentRank[a.type] - parentRank[b.type])
}

/** Round 3: what to load about the records read (their snapshots, ledger entries and links). */
export const recordKeys = (records: ReadRecords): { readonly snapshots: ReadonlyArray<CrmKey>; readonly ledger: ReadonlyArray<LedgerKey>; readonly links: ReadonlyArray<LinkKey> } => {
  const items = [...records.values()]
  return {
    snapshots: items.map((i) => ({ type: i.type, id: i.record.id })),
    ledger: items.map((i) => crmLedgerKey(i.type, i.record.id)),
    links: items.flatMap((i) => [{ entity: entityOf[i.type], id: i.record.id }, ...linkTargets(i).map((t) => ({ entity: t.entity, id: t.crmId }))])
  }
}

/** The stored links as they will be once the batch's merges are repointed. */
export const linksAfter = (links: ReadonlyArray<IdLink>, repoints: ReadonlyArray<Repoint>): LinkIndex => {
  const index = new LinkIndex(links)
  for (const r of repoints) index.repoint(r.entity, r.merged, r.survivor)
  return index
}

/** Round 4: the shop's records as we last saw them, for each record's commerce id. */
export const commerceKeys = (records: ReadRecords, links: LinkIndex): ReadonlyArray<CommerceKey> =>
  [...records.values()].flatMap((item) => {
    const id = commerceIdOf(item, links.commerceId(entityOf[item.type], item.record.id))
    return id === undefined ? [] : [{ entity: entityOf[item.type], id }]
  })

export interface Loaded {
  readonly records: ReadRecords
  readonly snapshots: ReadonlyArray<CrmSnapshot>
  readonly links: LinkIndex
  readonly seen: ReadonlyArray<CommerceSnapshot>
  readonly ledger: Ledger
  readonly now: number
}
export interface Decision {
  /** Upserts, parents first; recorded in the ledger before they are published. */
  readonly publish: ReadonlyArray<OutgoingMessage>
  readonly ledger: ReadonlyArray<LedgerEntry>
  /** Saved only once the publish is confirmed, so a failed publish is retried. */
  readonly snapshots: ReadonlyArray<CrmSnapshot>
  /** Per message index: why it cannot be synced (invalid records are parked, never retried). */
  readonly invalid: ReadonlyMap<number, string>
}

type Verdict =
  | { readonly _tag: "skip" }
  | { readonly _tag: "invalid"; readonly reason: string }
  | { readonly _tag: "valid"; readonly upsert: EntityUpsert; readonly send: boolean; readonly lane: LaneName }

/** News for the shop: a version not published yet, or changed links; our own values are an echo unless the links changed. */
const verdictOf = (item: CrmRecord, lane: LaneName, loaded: Loaded, stored: CrmSnapshot | undefined, seen: ReadonlyMap<string, CommerceSnapshot>): Verdict => {
  const verdict = freshness(item.record.updatedAt, stored?.version)
  const sameLinks = stored !== undefined && associationsOf(stored.record) === associationsOf(item.record)
  if (verdict === "older" || (verdict === "same" && sameLinks)) return { _tag: "skip" }
  const linksAreNews = stored === undefined ? associationsOf(item.record) !== associationsOf(undefined) : !sameLinks
  const entity = entityOf[item.type]
  if (!linksAreNews && isOwnCrmWrite(loaded.ledger, item.type, item.record.id, sharedProperties(entity, item.record.properties))) return { _tag: "skip" }
  const base: CrmProperties | undefined = stored?.record.properties
  const commerceId = commerceIdOf(item, loaded.links.commerceId(entity, item.record.id))
  const shop = commerceId === undefined ? undefined : seen.get(objectKey(entity, commerceId))
  // A tombstone is a record the shop no longer holds any field of.
  const upsert = buildUpsert(item, base, commerceId, shop === undefined ? undefined : (shop.record ?? {}))
  if (Result.isFailure(upsert)) return { _tag: "invalid", reason: upsert.failure.message }
  return { _tag: "valid", upsert: upsert.success, send: !isEmptyPatch(upsert.success, base, linksAreNews), lane }
}

/** The upsert's links as the shop will hold them (its own ids), where we know those ids. */
const linkFieldsInShopIds = (item: CrmRecord, links: LinkIndex): Record<string, string> =>
  Object.fromEntries(linkTargets(item).flatMap((t) => (links.commerceId(t.entity, t.crmId) === undefined ? [] : [[t.field, links.commerceId(t.entity, t.crmId) as string]])))

/** Round 5: what the shop receives for the wanted records, each record once however many messages want it. */
export const decideUpserts = (wanted: ReadonlyArray<Wanted>, loaded: Loaded): Decision => {
  const stored = new Map(loaded.snapshots.map((s) => [objectKey(s.type, s.id), s]))
  const seen = new Map(loaded.seen.map((s) => [objectKey(s.entity, s.id), s]))
  const verdicts = new Map<string, { readonly item: CrmRecord; readonly verdict: Verdict }>()
  const invalid = new Map<number, string>()
  for (const w of wanted) {
    const reasons: Array<string> = []
    for (const item of around(w, loaded.records)) {
      const key = objectKey(item.type, item.record.id)
      const decided = verdicts.get(key) ?? { item, verdict: verdictOf(item, w.lane, loaded, stored.get(key), seen) }
      verdicts.set(key, decided)
      if (decided.verdict._tag === "invalid") reasons.push(decided.verdict.reason)
    }
    if (reasons.length > 0) invalid.set(w.index, [invalid.get(w.index), ...reasons].filter((r) => r !== undefined).join(" | "))
  }
  const valid = [...verdicts.values()].flatMap(({ item, verdict }) => (verdict._tag === "valid" ? [{ item, ...verdict }] : []))
  valid.sort((a, b) => parentRank[a.item.type] - parentRank[b.item.type])
  const toSend = valid.filter((v) => v.send)
  return {
    publish: toSend.map(({ upsert, lane }) => message(routingKeys.upsert(upsert.entity), `${upsert.entity}:${upsert.crmId}:${upsert.version}`, upsert, upsert.version, lane)),
    ledger: toSend.flatMap(({ upsert, item }) => commerceWrites(upsert.entity, upsert.crmId, { ...upsert.fields, ...linkFieldsInShopIds(item, loaded.links) }, loaded.now)),
    snapshots: valid.map(({ item }) => ({ type: item.type, id: item.record.id, version: item.record.updatedAt, record: item.record }) as CrmSnapshot),
    invalid
  }
}
