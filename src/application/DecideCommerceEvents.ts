// Flow C's decisions before writing, as pure functions over what the handler loaded: an older
// version or our own echo writes nothing, a known record is updated by its HubSpot id, a new
// one is upserted on its commerce id, its link targets are resolved before anything is written.
import { associationRows, type CommerceEntity, crmTypeOf, rowsOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { propertiesForCrm } from "../domain/FieldMerge.ts"
import { getPath } from "../domain/Mapping.ts"
import { type Coalesced, type Deletion, type Failed, entityKey as key, sameContent, type Update } from "./CoalesceCommerceEvents.ts"
import { ARCHIVED, behindOwnCommerceWrite, commerceLedgerKey, crmLedgerKey, crmWrites, isOwnCommerceWrite, type Ledger, ownCrmValues } from "./LedgerEntries.ts"
import type { IdLink, LinkKey } from "./ports/IdLinks.ts"
import type { CommerceKey, CommerceSnapshot, CrmKey, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerEntry, LedgerKey } from "./ports/WriteLedger.ts"
import type { CrmRecord } from "./ShopUpserts.ts"

const targetsOf = (update: Update) =>
  associationRows.flatMap((row) => {
    const target = row.entity === update.entity ? getPath(update.record, row.commerceField) : undefined
    return typeof target === "string" ? [{ entity: row.to, id: target }] : []
  })

/** Round 2 (store): what the shop's records looked like, and every link the batch may need. */
export const firstKeys = (c: Coalesced): { readonly seen: ReadonlyArray<CommerceKey>; readonly links: ReadonlyArray<LinkKey> } => ({
  seen: [...c.updates, ...c.missing].map((u) => ({ entity: u.entity, id: u.id })),
  links: [...c.updates.flatMap((u) => [{ entity: u.entity, id: u.id }, ...targetsOf(u)]), ...c.deletions.map((d) => ({ entity: d.entity, id: d.id }))]
})

/** Stored links by commerce id. */
export const linkIndex = (links: ReadonlyArray<IdLink>): ReadonlyMap<string, string> => new Map(links.map((l) => [key(l.entity, l.commerceId), l.crmId]))

export interface Live extends Update {
  /** The HubSpot record this entity mirrors, if we know of one (by link, or the crmId it carries). */
  readonly known: string | undefined
  /** The shop's record as we last saw it (the merge's view of what the shop had applied). */
  readonly seen?: Readonly<Record<string, unknown>> | undefined
}

/** A version we already synced (or buried) changes nothing; the same version with other content does. */
export const screen = (updates: ReadonlyArray<Update>, seen: ReadonlyArray<CommerceSnapshot>, links: ReadonlyMap<string, string>): ReadonlyArray<Live> => {
  const stored = new Map(seen.map((s) => [key(s.entity, s.id), s]))
  return updates.flatMap((u) => {
    const before = stored.get(key(u.entity, u.id))
    // An equal version (second precision) with other content is news; a tombstone buries it.
    if (
      before !== undefined &&
      (before.version > u.version || (before.version === u.version && (before.record === null || sameContent(before.record, u.record))))
    )
      return []
    const carried = typeof u.record["crmId"] === "string" ? (u.record["crmId"] as string) : undefined
    return [{ ...u, known: links.get(key(u.entity, u.id)) ?? carried, seen: before?.record ?? undefined }]
  })
}

/**
 * Round 3 (store): the ledger of the known records (`ledger`, our writes to the shop: echoes;
 * `crmLedger`, our writes to HubSpot: the merge, asked only for what is not an echo) and their CRM
 * snapshots (the merge base).
 */
export const knownKeys = (
  live: ReadonlyArray<Live>
): { readonly ledger: ReadonlyArray<LedgerKey>; readonly crmLedger: ReadonlyArray<LedgerKey>; readonly snapshots: ReadonlyArray<CrmKey> } => {
  const known = live.flatMap((l) => (l.known === undefined ? [] : [{ ...l, known: l.known }]))
  return {
    ledger: known.map((l) => commerceLedgerKey(l.entity, l.known)),
    crmLedger: known.map((l) => crmLedgerKey(crmTypeOf[l.entity], l.known)),
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

// In place: a copy per push made a backfill page of 1 000 upserts copy half a million entries.
const push = <K, V>(map: Map<K, Array<V>>, k: K, v: V) => {
  const list = map.get(k)
  if (list === undefined) map.set(k, [v])
  else list.push(v)
}

/** Leaves out the properties whose shop value predates our last write to that field. */
const notBehind = (live: Live, crmId: string, properties: CrmProperties, ledger: Ledger): CrmProperties => {
  const stale = new Set(
    rowsOf(live.entity)
      .filter((row) => row.crmProperty in properties)
      .filter((row) => behindOwnCommerceWrite(ledger, live.entity, crmId, row.commerceField, getPath(live.record, row.commerceField), live.seen))
      .map((row) => row.crmProperty)
  )
  return stale.size === 0 ? properties : Object.fromEntries(Object.entries(properties).filter(([property]) => !stale.has(property)))
}

/**
 * What HubSpot held when we last synced, with the values it holds now because we wrote them: a
 * value of ours is no CRM change, so the CRM does not win a field with it over the shop's newer one.
 */
const mergeBase = (current: CrmRecord, base: CrmSnapshot | undefined, ledger: Ledger): CrmProperties | undefined => {
  const ours = ownCrmValues(ledger, current.type, current.record.id, current.record.properties)
  return Object.keys(ours).length === 0 ? base?.record.properties : { ...base?.record.properties, ...ours }
}

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
  loaded: {
    readonly records: ReadonlyMap<string, CrmRecord>
    readonly snapshots: ReadonlyArray<CrmSnapshot>
    readonly links: ReadonlyMap<string, string>
    /** Our writes to the shop: a value the shop holds only because it has not applied our last write yet is not sent. */
    readonly ledger: Ledger
    readonly now: number
  }
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
      failed.set(live.index, { retryable: true, reason: `${missing.entity} ${missing.id} is not in the CRM yet` })
      continue
    }
    const targets = targetsOf(live).map((t) => ({ ...t, toType: crmTypeOf[t.entity], toId: loaded.links.get(key(t.entity, t.id)) }))
    const current = live.known === undefined ? undefined : loaded.records.get(key(type, live.known))
    const base = current === undefined ? undefined : snapshots.get(key(type, current.record.id))
    const properties =
      current === undefined
        ? propertiesForCrm(live.entity, live.record, undefined, undefined)
        : notBehind(
            live,
            current.record.id,
            propertiesForCrm(live.entity, live.record, current.record.properties, mergeBase(current, base, loaded.ledger)),
            loaded.ledger
          )
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
