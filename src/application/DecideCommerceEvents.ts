// Flow C's decisions for a batch of shop events, as pure functions over what the handler
// loaded: events of one object coalesce (the newest version wins; a deletion leaves a
// tombstone), an older version or our own echo writes nothing, a known record is updated by
// its HubSpot id, a new one is upserted on its commerce id; then, once HubSpot answered, what
// to link, associate, remember and tell the shop, and which message failed.
import { Result } from "effect"
import { associationRows, type CommerceEntity, crmTypeOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { propertiesForCrm } from "../domain/FieldMerge.ts"
import { getPath } from "../domain/Mapping.ts"
import { validate } from "../domain/Validation.ts"
import { type CommerceEvent, type IdsAssigned, routingKeys } from "./CommerceMessages.ts"
import type { Outcome, Refusal } from "./CrmBatchWrites.ts"
import type { LaneName } from "./Lane.ts"
import { ARCHIVED, commerceLedgerKey, crmWrites, isOwnCommerceWrite, type Ledger } from "./LedgerEntries.ts"
import type { UnvalidatedRecord } from "./ports/CommerceApi.ts"
import type { CrmLink, CrmRecordOf } from "./ports/Crm.ts"
import type { IdLink, LinkKey } from "./ports/IdLinks.ts"
import type { CommerceKey, CommerceSnapshot, CrmKey, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerEntry, LedgerKey } from "./ports/WriteLedger.ts"
import type { CrmRecord } from "./ShopUpserts.ts"
import type { OutgoingMessage } from "./Step.ts"

export type Action = "created" | "updated" | "deleted"
export interface EventInput {
  readonly index: number
  readonly entity: CommerceEntity
  readonly action: Action
  readonly event: CommerceEvent
  readonly lane: LaneName
}
/** Why one message failed: retryable ones wait in the retry tiers, the rest are parked. */
export interface Failed {
  readonly retryable: boolean
  readonly reason: string
}

const key = (kind: string, id: string) => `${kind}:${id}`

/** "commerce.user_created" → ["user", "created"]. */
export const parseEventType = (type: string): readonly [CommerceEntity, Action] | undefined => {
  const match = /^commerce\.(user|business|purchase)_(created|updated|deleted)$/.exec(type)
  return match === null ? undefined : [match[1] as CommerceEntity, match[2] as Action]
}

/** Round 1: events that carry only an id are looked up on the platform, per entity. */
export const idsToFetch = (inputs: ReadonlyArray<EventInput>): ReadonlyMap<CommerceEntity, ReadonlyArray<string>> => {
  const out = new Map<CommerceEntity, Set<string>>()
  for (const i of inputs) if (i.action !== "deleted" && i.event.payload === undefined) out.set(i.entity, (out.get(i.entity) ?? new Set()).add(i.event.id))
  return new Map([...out].map(([entity, ids]) => [entity, [...ids]]))
}

export interface Update {
  readonly index: number
  readonly entity: CommerceEntity
  readonly id: string
  readonly record: UnvalidatedRecord
  readonly version: number
  readonly lane: LaneName
}
export interface Deletion {
  readonly entity: CommerceEntity
  readonly id: string
  readonly deletedAt: number
}
export interface Coalesced {
  /** One per object: its newest valid version. */
  readonly updates: ReadonlyArray<Update>
  readonly deletions: ReadonlyArray<Deletion>
  readonly failed: ReadonlyMap<number, Failed>
}

/**
 * Each message is loaded and validated alone (a bad one fails alone); then the events of one
 * object become one effect. Older versions are carried by the newest; a version older than a
 * deletion in the batch is buried by its tombstone; a newer one waits for the next delivery,
 * after the deletion is done, as it would have had it arrived later.
 */
export const coalesce = (inputs: ReadonlyArray<EventInput>, fetched: ReadonlyMap<string, UnvalidatedRecord>): Coalesced => {
  const failed = new Map<number, Failed>()
  const newest = new Map<string, Update>()
  const deletions = new Map<string, Deletion>()
  for (const { index, entity, action, event, lane } of inputs) {
    const object = key(entity, event.id)
    if (action === "deleted") {
      const before = deletions.get(object)
      deletions.set(object, { entity, id: event.id, deletedAt: Math.max(before?.deletedAt ?? Number.NEGATIVE_INFINITY, event.occurredAt) })
      continue
    }
    const record = event.payload ?? fetched.get(object)
    // The platform's API may lag behind its own event: wait (retry tiers), then park with a reason.
    if (record === undefined) {
      failed.set(index, { retryable: true, reason: `${entity} ${event.id} is not served by the commerce API (yet)` })
      continue
    }
    const valid = validate(entity, record)
    if (Result.isFailure(valid)) {
      failed.set(index, { retryable: false, reason: valid.failure.message })
      continue
    }
    const update = { index, entity, id: event.id, record, version: Date.parse(String(record["updatedAt"])), lane }
    const before = newest.get(object)
    // On equal versions the first stays, as a second delivery of that version would find it synced.
    if (before === undefined || update.version > before.version) newest.set(object, update)
  }
  const updates = [...newest.entries()].flatMap(([object, update]) => {
    const deletion = deletions.get(object)
    if (deletion === undefined) return [update]
    if (update.version > deletion.deletedAt) failed.set(update.index, { retryable: true, reason: `${update.entity} ${update.id} changed after its deletion in the same batch: handled after it` })
    return []
  })
  return { updates, deletions: [...deletions.values()], failed }
}

const targetsOf = (update: Update) =>
  associationRows.flatMap((row) => {
    const target = row.entity === update.entity ? getPath(update.record, row.commerceField) : undefined
    return typeof target === "string" ? [{ entity: row.to, id: target }] : []
  })

/** Round 2 (store): what the shop's records looked like, and every link the batch may need. */
export const firstKeys = (c: Coalesced): { readonly seen: ReadonlyArray<CommerceKey>; readonly links: ReadonlyArray<LinkKey> } => ({
  seen: c.updates.map((u) => ({ entity: u.entity, id: u.id })),
  links: [...c.updates.flatMap((u) => [{ entity: u.entity, id: u.id }, ...targetsOf(u)]), ...c.deletions.map((d) => ({ entity: d.entity, id: d.id }))]
})

/** Stored links by commerce id. */
export const linkIndex = (links: ReadonlyArray<IdLink>): ReadonlyMap<string, string> => new Map(links.map((l) => [key(l.entity, l.commerceId), l.crmId]))

export interface Live extends Update {
  /** The HubSpot record this entity mirrors, if we know of one (by link, or the crmId it carries). */
  readonly known: string | undefined
}

/** A version we already synced (or buried) changes nothing. */
export const screen = (updates: ReadonlyArray<Update>, seen: ReadonlyArray<CommerceSnapshot>, links: ReadonlyMap<string, string>): ReadonlyArray<Live> => {
  const stored = new Map(seen.map((s) => [key(s.entity, s.id), s.version]))
  return updates.flatMap((u) => {
    const version = stored.get(key(u.entity, u.id))
    if (version !== undefined && version >= u.version) return []
    const carried = typeof u.record["crmId"] === "string" ? (u.record["crmId"] as string) : undefined
    return [{ ...u, known: links.get(key(u.entity, u.id)) ?? carried }]
  })
}

/** Round 3 (store): the ledger (echo) and CRM snapshots (merge base) of the known records. */
export const knownKeys = (live: ReadonlyArray<Live>): { readonly ledger: ReadonlyArray<LedgerKey>; readonly snapshots: ReadonlyArray<CrmKey> } => {
  const known = live.flatMap((l) => (l.known === undefined ? [] : [{ ...l, known: l.known }]))
  return {
    ledger: known.map((l) => commerceLedgerKey(l.entity, l.known)),
    snapshots: known.map((l) => ({ type: crmTypeOf[l.entity], id: l.known }))
  }
}

/** The shop announcing what we just sent it: nothing to write, not even a HubSpot read. */
export const splitEchoes = (live: ReadonlyArray<Live>, ledger: Ledger) => {
  const isEcho = (l: Live) => l.known !== undefined && isOwnCommerceWrite(ledger, l.entity, l.known, l.record)
  return { echoes: live.filter(isEcho), fresh: live.filter((l) => !isEcho(l)) }
}

/** Round 4 (HubSpot): the known records, read now. */
export const recordsToRead = (fresh: ReadonlyArray<Live>) => fresh.flatMap((l) => (l.known === undefined ? [] : [{ type: crmTypeOf[l.entity], id: l.known }]))

/** A record to associate with: its HubSpot id, or (undefined) the one it gets in this batch. */
interface Target {
  readonly entity: CommerceEntity
  readonly id: string
  readonly toType: CrmObjectType
  readonly toId: string | undefined
}
export type Write =
  | { readonly _tag: "none"; readonly crmId: string }
  | { readonly _tag: "update"; readonly crmId: string; readonly properties: CrmProperties }
  | { readonly _tag: "upsert"; readonly properties: CrmProperties }
export interface Planned {
  readonly live: Live
  readonly targets: ReadonlyArray<Target>
  readonly current: CrmRecord | undefined
  readonly base: CrmSnapshot | undefined
  readonly write: Write
}
export interface WritePlan {
  readonly planned: ReadonlyArray<Planned>
  /** Recorded before the writes: HubSpot's webhook about them may beat the answer. */
  readonly ledger: ReadonlyArray<LedgerEntry>
  readonly updates: ReadonlyMap<CrmObjectType, ReadonlyArray<{ readonly id: string; readonly properties: CrmProperties }>>
  readonly upserts: ReadonlyMap<CrmObjectType, ReadonlyArray<{ readonly commerceId: string; readonly properties: CrmProperties }>>
  readonly archives: ReadonlyMap<CrmObjectType, ReadonlyArray<string>>
  readonly failed: ReadonlyMap<number, Failed>
}

const push = <K, V>(map: Map<K, Array<V>>, k: K, v: V) => map.set(k, [...(map.get(k) ?? []), v])

/**
 * Round 5: the HubSpot writes. Links are resolved before anything is written, so a retry does
 * not repeat a write; a target neither HubSpot nor this batch knows is a wait, not an error. A
 * target written in this same batch (a user's business beside it) is associated once HubSpot
 * gave it an id. A known record is updated by its HubSpot id: its commerce-id property may not
 * be written yet, and an upsert would then create a duplicate.
 */
export const planWrites = (
  fresh: ReadonlyArray<Live>,
  deletions: ReadonlyArray<Deletion>,
  loaded: { readonly records: ReadonlyMap<string, CrmRecord>; readonly snapshots: ReadonlyArray<CrmSnapshot>; readonly links: ReadonlyMap<string, string>; readonly now: number }
): WritePlan => {
  const snapshots = new Map(loaded.snapshots.map((s) => [key(s.type, s.id), s]))
  const planned: Array<Planned> = []
  const ledger: Array<LedgerEntry> = []
  const updates = new Map<CrmObjectType, Array<{ readonly id: string; readonly properties: CrmProperties }>>()
  const upserts = new Map<CrmObjectType, Array<{ readonly commerceId: string; readonly properties: CrmProperties }>>()
  const archives = new Map<CrmObjectType, Array<string>>()
  const failed = new Map<number, Failed>()
  const written = new Set(fresh.map((l) => key(l.entity, l.id)))
  for (const live of fresh) {
    const type = crmTypeOf[live.entity]
    const missing = targetsOf(live).find((t) => !loaded.links.has(key(t.entity, t.id)) && !written.has(key(t.entity, t.id)))
    if (missing !== undefined) {
      failed.set(live.index, { retryable: true, reason: `${missing.entity} ${missing.id} is not in HubSpot yet` })
      continue
    }
    const targets = targetsOf(live).map((t) => ({ ...t, toType: crmTypeOf[t.entity], toId: loaded.links.get(key(t.entity, t.id)) }))
    const current = live.known === undefined ? undefined : loaded.records.get(key(type, live.known))
    const base = current === undefined ? undefined : snapshots.get(key(type, current.record.id))
    const properties = propertiesForCrm(live.entity, live.record, current?.record.properties, base?.record.properties)
    let write: Write
    if (current === undefined) {
      write = { _tag: "upsert", properties }
      push(upserts, type, { commerceId: live.id, properties })
    } else if (Object.keys(properties).length === 0) write = { _tag: "none", crmId: current.record.id }
    else {
      write = { _tag: "update", crmId: current.record.id, properties }
      ledger.push(...crmWrites(type, current.record.id, properties, loaded.now))
      push(updates, type, { id: current.record.id, properties })
    }
    planned.push({ live, targets, current, base, write })
  }
  // A deletion on the shop archives the HubSpot record; the webhook it causes is our own echo.
  for (const d of deletions) {
    const crmId = loaded.links.get(key(d.entity, d.id))
    if (crmId === undefined) continue
    ledger.push(...crmWrites(crmTypeOf[d.entity], crmId, ARCHIVED, loaded.now))
    push(archives, crmTypeOf[d.entity], crmId)
  }
  return { planned, ledger, updates, upserts, archives, failed }
}

const emptyRecord = (type: CrmObjectType, id: string) => ({ id, properties: {}, updatedAt: 0, companyIds: [], contactIds: [] }) as unknown as CrmRecordOf[typeof type]

/**
 * After our write, both sides agree on what we wrote, and on nothing new otherwise: the base keeps
 * its version and its other values. Recording HubSpot's whole current record here would claim
 * that edits the shop has not received were synced, and flow A would then skip them.
 */
const rememberWrite = (type: CrmObjectType, base: CrmSnapshot | undefined, crmId: string, written: CrmProperties): CrmSnapshot =>
  ({
    type,
    id: crmId,
    version: base?.version ?? 0,
    record: { ...emptyRecord(type, crmId), ...base?.record, id: crmId, properties: { ...base?.record.properties, ...written } }
  }) as CrmSnapshot

const linkedIds = (current: CrmRecord | undefined): ReadonlySet<string> =>
  new Set(current === undefined ? [] : [...("companyIds" in current.record ? current.record.companyIds : []), ...("contactIds" in current.record ? current.record.contactIds : [])])

export interface Settled {
  /** Properties HubSpot took on records it created (their ids were unknown before). */
  readonly ledger: ReadonlyArray<LedgerEntry>
  readonly crmSnapshots: ReadonlyArray<CrmSnapshot>
  readonly links: ReadonlyArray<IdLink>
  readonly associations: ReadonlyArray<CrmLink>
  /** HubSpot ids the shop does not know yet. */
  readonly publish: ReadonlyArray<OutgoingMessage>
  /** Saved last: a failure before leaves the event to be handled again. */
  readonly commerceSnapshots: ReadonlyArray<CommerceSnapshot>
  readonly failed: ReadonlyMap<number, Failed>
}

/** Round 6: what HubSpot's answers mean, per object; a refused record fails its message alone. */
export const settle = (
  plan: WritePlan,
  echoes: ReadonlyArray<Live>,
  deletions: ReadonlyArray<Deletion>,
  outcomes: { readonly updates: ReadonlyMap<CrmObjectType, ReadonlyMap<string, Outcome>>; readonly upserts: ReadonlyMap<CrmObjectType, ReadonlyMap<string, Outcome>> },
  refusalOf: (outcome: Extract<Outcome, { _tag: "Rejected" }>) => Refusal,
  now: number
): Settled => {
  const out = { ledger: [] as Array<LedgerEntry>, crmSnapshots: [] as Array<CrmSnapshot>, links: [] as Array<IdLink>, associations: [] as Array<CrmLink>, publish: [] as Array<OutgoingMessage> }
  const commerceSnapshots: Array<CommerceSnapshot> = []
  const failed = new Map<number, Failed>()
  const snapshotOf = (u: Update): CommerceSnapshot => ({ entity: u.entity, id: u.id, version: u.version, record: u.record })
  // First what HubSpot took, so a target written beside its referrer can be associated.
  const applied = new Map<string, { readonly crmId: string; readonly created: boolean }>()
  for (const { live, write } of plan.planned) {
    const type = crmTypeOf[live.entity]
    const outcome = write._tag === "update" ? outcomes.updates.get(type)?.get(write.crmId) : write._tag === "upsert" ? outcomes.upserts.get(type)?.get(live.id) : undefined
    if (write._tag === "none") applied.set(key(live.entity, live.id), { crmId: write.crmId, created: false })
    else if (outcome?._tag === "Applied") {
      // A known record keeps its id; a created or matched one has the id HubSpot gave.
      applied.set(key(live.entity, live.id), { crmId: write._tag === "update" ? write.crmId : outcome.id, created: write._tag === "upsert" && outcome.created })
    } else {
      const refusal = outcome === undefined ? { retryable: true, message: "no outcome" } : refusalOf(outcome)
      failed.set(live.index, { retryable: refusal.retryable, reason: `HubSpot refused ${live.entity} ${live.id}: ${refusal.message}` })
    }
  }
  for (const { live, targets, current, base, write } of plan.planned) {
    const type = crmTypeOf[live.entity]
    const done = applied.get(key(live.entity, live.id))
    if (done === undefined) continue
    const { crmId, created } = done
    if (write._tag === "upsert") out.ledger.push(...crmWrites(type, crmId, write.properties, now))
    const resolved = targets.map((t) => ({ ...t, toId: t.toId ?? applied.get(key(t.entity, t.id))?.crmId }))
    const unresolved = resolved.find((t) => t.toId === undefined)
    // Its target was refused beside it: nothing is remembered, so the retry links it once it exists.
    if (unresolved !== undefined) {
      failed.set(live.index, { retryable: true, reason: `${unresolved.entity} ${unresolved.id} is not in HubSpot yet` })
      continue
    }
    if (write._tag !== "none") out.crmSnapshots.push(rememberWrite(type, base, crmId, write.properties))
    out.links.push({ entity: live.entity, crmId, commerceId: live.id })
    const existing = linkedIds(current)
    out.associations.push(
      ...resolved.flatMap((t) => (t.toId === undefined || existing.has(t.toId) ? [] : [{ fromType: type, fromId: crmId, toType: t.toType, toId: t.toId }]))
    )
    if (created || live.record["crmId"] !== crmId) {
      const ids: IdsAssigned = { entity: live.entity, crmId, commerceId: live.id }
      out.publish.push({ id: `${live.entity}:${live.id}:crm`, type: routingKeys.crmIds, payload: ids, occurredAt: Date.parse(String(live.record["updatedAt"])), lane: live.lane })
    }
    commerceSnapshots.push(snapshotOf(live))
  }
  for (const echo of echoes) {
    out.links.push({ entity: echo.entity, crmId: echo.known as string, commerceId: echo.id })
    commerceSnapshots.push(snapshotOf(echo))
  }
  // A tombstone: a late or redelivered event from before the deletion must not bring it back.
  for (const d of deletions) commerceSnapshots.push({ entity: d.entity, id: d.id, version: d.deletedAt, record: null })
  return { ...out, commerceSnapshots, failed }
}
