// Flow A's decisions once the wanted objects are read, as pure functions over what the handler
// loaded: which neighbours travel with them, what the shop receives, what the ledger and the
// snapshots remember, and which message failed.
import { Result } from "effect"
import { freshness } from "../domain/ConflictRules.ts"
import { entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { sharedProperties, toCommerceFields } from "../domain/Mapping.ts"
import { type EntityUpsert, routingKeys } from "./CommerceMessages.ts"
import type { LaneName } from "./Lane.ts"
import { commerceWrites, crmLedgerKey, isOwnCrmWrite, type Ledger } from "./LedgerEntries.ts"
import type { LinkKey } from "./ports/IdLinks.ts"
import type { CommerceKey, CommerceSnapshot, CrmKey, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerEntry, LedgerKey } from "./ports/WriteLedger.ts"
import { associationsOf, buildUpsert, type CrmRecord, commerceIdOf, isEmptyPatch, linkTargets, parentRank } from "./ShopUpserts.ts"
import type { OutgoingMessage } from "./Step.ts"
import type { LinkIndex, Wanted } from "./TriageCrmChanges.ts"

const objectKey = (type: string, id: string) => `${type}:${id}`
const message = (type: string, id: string, payload: unknown, occurredAt: number, lane: LaneName): OutgoingMessage => ({ id, type, payload, occurredAt, lane })
/** The records read so far, by type and id. */
export type ReadRecords = ReadonlyMap<string, CrmRecord>

/** The neighbours each wanted record travels with: a company its contacts, a contact its company, an order both. */
const neighboursOf = (item: CrmRecord): ReadonlyArray<{ readonly type: CrmObjectType; readonly id: string }> =>
  item.type === "company"
    ? item.record.contactIds.map((id) => ({ type: "contact" as const, id }))
    : item.type === "contact"
      ? item.record.companyIds.slice(0, 1).map((id) => ({ type: "company" as const, id }))
      : [
          ...item.record.companyIds.slice(0, 1).map((id) => ({ type: "company" as const, id })),
          ...item.record.contactIds.slice(0, 1).map((id) => ({ type: "contact" as const, id }))
        ]

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
export const recordKeys = (
  records: ReadRecords
): { readonly snapshots: ReadonlyArray<CrmKey>; readonly ledger: ReadonlyArray<LedgerKey>; readonly links: ReadonlyArray<LinkKey> } => {
  const items = [...records.values()]
  return {
    snapshots: items.map((i) => ({ type: i.type, id: i.record.id })),
    ledger: items.map((i) => crmLedgerKey(i.type, i.record.id)),
    links: items.flatMap((i) => [{ entity: entityOf[i.type], id: i.record.id }, ...linkTargets(i).map((t) => ({ entity: t.entity, id: t.crmId }))])
  }
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
  /** When the HubSpot reads began (our clock, before any read). */
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
  /** Per message index: a read that may predate our own write; read again after a retry tier. */
  readonly stale: ReadonlyMap<number, string>
}

/**
 * How long a write of ours may take from its ledger entry to HubSpot applying it, when its landing
 * was never recorded (the writer crashed): a call is aborted at its timeout (30 s), twice at most.
 */
export const WRITE_IN_FLIGHT_MS = 60_000

type Verdict =
  | { readonly _tag: "skip" }
  | { readonly _tag: "stale"; readonly reason: string }
  | { readonly _tag: "invalid"; readonly reason: string }
  | {
      readonly _tag: "valid"
      readonly upsert: EntityUpsert
      readonly send: boolean
      readonly lane: LaneName
      readonly shopBefore: Readonly<Record<string, unknown>>
    }

/** News for the shop: a version not published yet, or changed links; our own values are an echo unless the links changed. */
/**
 * Issue 9 #10 (lost update between directions): flow C wrote the shop's newer value to HubSpot
 * while this read was under way, so the read may show the value before it, and publishing it would
 * send the shop back its own older state. A record whose ledger shows a write of ours that landed
 * after the read began (flow C records when its writes landed), and that the read does not show,
 * is read again later.
 */
const predatesOwnWrite = (item: CrmRecord, loaded: Loaded): boolean =>
  loaded.ledger.mayPredateOwnWrite(crmLedgerKey(item.type, item.record.id), item.record.properties, loaded.now, WRITE_IN_FLIGHT_MS)

const verdictOf = (
  item: CrmRecord,
  lane: LaneName,
  loaded: Loaded,
  stored: CrmSnapshot | undefined,
  seen: ReadonlyMap<string, CommerceSnapshot>,
  byOthers: boolean
): Verdict => {
  if (predatesOwnWrite(item, loaded))
    return { _tag: "stale", reason: `${item.type} ${item.record.id} was read while a write of ours may still be landing: read again` }
  const verdict = freshness(item.record.updatedAt, stored?.version)
  const sameLinks = stored !== undefined && associationsOf(stored.record) === associationsOf(item.record)
  if (verdict === "older" || (verdict === "same" && sameLinks)) return { _tag: "skip" }
  const linksAreNews = stored === undefined ? associationsOf(item.record) !== associationsOf(undefined) : !sameLinks
  const entity = entityOf[item.type]
  // A change the CRM attributes to someone else is news even when its values are ones we wrote.
  if (
    !linksAreNews &&
    !byOthers &&
    isOwnCrmWrite(loaded.ledger, item.type, item.record.id, sharedProperties(entity, item.record.properties), stored?.record.properties)
  )
    return { _tag: "skip" }
  const base: CrmProperties | undefined = stored?.record.properties
  const commerceId = commerceIdOf(item, loaded.links.commerceId(entity, item.record.id))
  const shop = commerceId === undefined ? undefined : seen.get(objectKey(entity, commerceId))
  // A tombstone is a record the shop no longer holds any field of.
  const upsert = buildUpsert(item, base, commerceId, shop === undefined ? undefined : (shop.record ?? {}))
  if (Result.isFailure(upsert)) return { _tag: "invalid", reason: upsert.failure.message }
  // What the shop holds before the patch: as we last saw it, else (first sync) what the CRM has.
  const shopBefore = shop?.record ?? toCommerceFields(entity, item.record.properties)
  return { _tag: "valid", upsert: upsert.success, send: !isEmptyPatch(upsert.success, base, linksAreNews), lane, shopBefore }
}

/** The upsert's links as the shop will hold them (its own ids), where we know those ids. */
const linkFieldsInShopIds = (item: CrmRecord, links: LinkIndex): Record<string, string> =>
  Object.fromEntries(
    linkTargets(item).flatMap((t) => (links.commerceId(t.entity, t.crmId) === undefined ? [] : [[t.field, links.commerceId(t.entity, t.crmId) as string]]))
  )

/** Round 5: what the shop receives for the wanted records, each record once however many messages want it. */
export const decideUpserts = (wanted: ReadonlyArray<Wanted>, loaded: Loaded): Decision => {
  const stored = new Map(loaded.snapshots.map((s) => [objectKey(s.type, s.id), s]))
  const seen = new Map(loaded.seen.map((s) => [objectKey(s.entity, s.id), s]))
  const verdicts = new Map<string, { readonly item: CrmRecord; readonly verdict: Verdict }>()
  const invalid = new Map<number, string>()
  const stale = new Map<number, string>()
  const byOthers = new Set(wanted.filter((w) => w.byOthers === true).map((w) => objectKey(w.type, w.id)))
  for (const w of wanted) {
    const reasons: Array<string> = []
    const staleReasons: Array<string> = []
    for (const item of around(w, loaded.records)) {
      const key = objectKey(item.type, item.record.id)
      const decided = verdicts.get(key) ?? { item, verdict: verdictOf(item, w.lane, loaded, stored.get(key), seen, byOthers.has(key)) }
      verdicts.set(key, decided)
      if (decided.verdict._tag === "invalid") reasons.push(decided.verdict.reason)
      if (decided.verdict._tag === "stale") staleReasons.push(decided.verdict.reason)
    }
    if (reasons.length > 0) invalid.set(w.index, [invalid.get(w.index), ...reasons].filter((r) => r !== undefined).join(" | "))
    else if (staleReasons.length > 0) stale.set(w.index, staleReasons.join(" | "))
  }
  const valid = [...verdicts.values()].flatMap(({ item, verdict }) => (verdict._tag === "valid" ? [{ item, ...verdict }] : []))
  valid.sort((a, b) => parentRank[a.item.type] - parentRank[b.item.type])
  const toSend = valid.filter((v) => v.send)
  return {
    publish: toSend.map(({ upsert, lane }) =>
      message(routingKeys.upsert(upsert.entity), `${upsert.entity}:${upsert.crmId}:${upsert.version}`, upsert, upsert.version, lane)
    ),
    // The whole state the shop will hold, not only the patch: its echo carries every shared field.
    ledger: toSend.flatMap(({ upsert, item, shopBefore }) =>
      commerceWrites(upsert.entity, upsert.crmId, { ...shopBefore, ...upsert.fields, ...linkFieldsInShopIds(item, loaded.links) }, loaded.now)
    ),
    snapshots: valid.map(({ item }) => ({ type: item.type, id: item.record.id, version: item.record.updatedAt, record: item.record }) as CrmSnapshot),
    invalid,
    stale
  }
}
