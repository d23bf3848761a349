// Flow A's decisions once the wanted objects are read, as pure functions over what the handler
// loaded: which neighbours travel with them, what the shop receives, what the ledger and the
// snapshots remember, and which message failed.
import { Result } from "effect"
import { freshness } from "../domain/ConflictRules.ts"
import { type CommerceEntity, crmTypeOf, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { sharedProperties, toCommerceFields } from "../domain/Mapping.ts"
import { type EntityUpsert, routingKeys } from "./CommerceMessages.ts"
import type { LaneName } from "./Lane.ts"
import { commerceWrites, crmLedgerKey, isOwnCrmWrite, type Ledger } from "./LedgerEntries.ts"
import type { LinkKey } from "./ports/IdLinks.ts"
import type { CommerceKey, CommerceSnapshot, CrmKey, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerEntry, LedgerKey } from "./ports/WriteLedger.ts"
import { associationsOf, buildUpsert, type CrmRecord, commerceIdOf, isEmptyPatch, linkTargets as linkTargetsOf, parentRank } from "./ShopUpserts.ts"
import type { OutgoingMessage } from "./Step.ts"
import type { LinkIndex, Wanted } from "./TriageCrmChanges.ts"

const objectKey = (type: string, id: string) => `${type}:${id}`
const message = (type: string, id: string, payload: unknown, occurredAt: number, lane: LaneName): OutgoingMessage => ({ id, type, payload, occurredAt, lane })
/**
 * A record's link targets, worked out once per record read: the rounds below ask for them five
 * times a record. Records read are never changed, so the answer is kept with the record.
 */
const targetsByRecord = new WeakMap<CrmRecord, ReturnType<typeof linkTargetsOf>>()
const linkTargets = (item: CrmRecord): ReturnType<typeof linkTargetsOf> => {
  const known = targetsByRecord.get(item)
  if (known !== undefined) return known
  const targets = linkTargetsOf(item)
  targetsByRecord.set(item, targets)
  return targets
}
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

/** The parents (link targets) of the wanted records that were found, by type and id. */
export const parentKeys = (wanted: ReadonlyArray<Wanted>, records: ReadRecords): ReadonlyArray<{ readonly type: CrmObjectType; readonly id: string }> =>
  wanted.flatMap((w) => {
    const item = records.get(objectKey(w.type, w.id))
    return item === undefined ? [] : linkTargets(item).map((t) => ({ type: crmTypeOf[t.entity], id: t.crmId }))
  })

/**
 * Round 2 when synced parents stay unread (a backfill's pages): the neighbours to read, leaving out
 * each parent (a link target) that was synced already: its shop id is known from the stored links,
 * or it has a snapshot (its own page sent it; `synced`, by `type:id`). Such a parent is not sent
 * again with the record, and reading it would cost a read and its associations per page of
 * contacts for records their own pages synced. A link to a synced parent whose shop id is not
 * known yet is pending (issue 9) exactly as if it had been read without one (`Loaded.unread`).
 * A parent never synced is read and travels with the record, as in live sync.
 */
export const neighboursToRead = (wanted: ReadonlyArray<Wanted>, records: ReadRecords, links: LinkIndex, synced: ReadonlySet<string>) =>
  wanted.flatMap((w) => {
    const item = records.get(objectKey(w.type, w.id))
    if (item === undefined) return []
    const skipped = linkTargets(item).filter((t) => links.commerceId(t.entity, t.crmId) !== undefined || synced.has(objectKey(crmTypeOf[t.entity], t.crmId)))
    return neighboursOf(item).filter((n) => !skipped.some((t) => t.crmId === n.id && crmTypeOf[t.entity] === n.type))
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
  /**
   * Parents left unread because they were synced already (`neighboursToRead`), by `type:id`: a link
   * to one whose shop id is not known is pending, as for a parent read without one.
   */
  readonly unread?: ReadonlySet<string>
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
  /**
   * Per message index: a record sent linked to a parent whose shop id we do not know yet; read
   * again after a retry tier, and sent again once the parent's id is known.
   */
  readonly awaiting: ReadonlyMap<number, string>
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
  byOthers: boolean,
  /** The record with the links it is judged by: those to parents the shop may not hold yet marked pending. */
  linked: CrmRecord["record"]
): Verdict => {
  if (predatesOwnWrite(item, loaded))
    return { _tag: "stale", reason: `${item.type} ${item.record.id} was read while a write of ours may still be landing: read again` }
  const verdict = freshness(item.record.updatedAt, stored?.version)
  const sameLinks = stored !== undefined && associationsOf(stored.record) === associationsOf(linked)
  if (verdict === "older" || (verdict === "same" && sameLinks)) return { _tag: "skip" }
  const linksAreNews = stored === undefined ? associationsOf(linked) !== associationsOf(undefined) : !sameLinks
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
    linkTargets(item).flatMap((t) => {
      const id = links.commerceId(t.entity, t.crmId)
      return id === undefined ? [] : [[t.field, id]]
    })
  )

/**
 * The link targets of a record that the shop may not hold yet: read in this batch, but with no
 * shop id known (no stored link, no commerce-id property). The platform resolves links by CRM id
 * when it gets the upsert; one that reaches it before its parent (the parent's upsert was retried
 * on its side) leaves the link empty for good, since nothing sends it again. So a record sent with
 * such a link is sent again once the parent's id is known, which proves the shop has the parent.
 * A target that was not read (gone from HubSpot) is nothing to wait for, unless it was left
 * unread because it was synced already (`Loaded.unread`).
 */
const unconfirmedTargets = (item: CrmRecord, loaded: Loaded): ReadonlyArray<{ readonly entity: CommerceEntity; readonly crmId: string }> =>
  linkTargets(item).filter((t) => {
    const key = objectKey(crmTypeOf[t.entity], t.crmId)
    const target = loaded.records.get(key)
    if (target === undefined) return loaded.unread?.has(key) === true && loaded.links.commerceId(t.entity, t.crmId) === undefined
    return commerceIdOf(target, loaded.links.commerceId(t.entity, t.crmId)) === undefined
  })

/**
 * The record as the snapshot remembers it: a link to an unconfirmed target is marked pending, so
 * that it stays news once the target is confirmed, and is no news while it is still pending.
 */
const withPendingLinks = (item: CrmRecord, targets: ReadonlyArray<{ readonly entity: CommerceEntity; readonly crmId: string }>): CrmRecord["record"] => {
  const marked = (field: "companyIds" | "contactIds", entity: CommerceEntity) => {
    const ids = (item.record as unknown as Record<string, unknown>)[field]
    return Array.isArray(ids) ? { [field]: ids.map((id) => (targets.some((t) => t.entity === entity && t.crmId === id) ? `${PENDING}${id}` : id)) } : {}
  }
  return { ...item.record, ...marked("companyIds", "business"), ...marked("contactIds", "user") } as CrmRecord["record"]
}
const PENDING = "pending:"

const linkIdsOf = (record: CrmRecord["record"]): ReadonlyArray<unknown> => {
  const r = record as unknown as Record<string, unknown>
  return [...(Array.isArray(r["companyIds"]) ? r["companyIds"] : []), ...(Array.isArray(r["contactIds"]) ? r["contactIds"] : [])]
}
const hasPendingLinks = (record: CrmRecord["record"]): boolean => linkIdsOf(record).some((id) => typeof id === "string" && id.startsWith(PENDING))
const withoutPendingMarks = (record: CrmRecord["record"]): CrmRecord["record"] => {
  const r = record as unknown as Record<string, unknown>
  const unmarked = (field: string) =>
    Array.isArray(r[field])
      ? { [field]: (r[field] as ReadonlyArray<unknown>).map((id) => (typeof id === "string" && id.startsWith(PENDING) ? id.slice(PENDING.length) : id)) }
      : {}
  return { ...record, ...unmarked("companyIds"), ...unmarked("contactIds") } as CrmRecord["record"]
}

/** The shop's record as we last saw it holds every link of the record, in the shop's ids. */
const shopHoldsLinks = (item: CrmRecord, loaded: Loaded, seen: ReadonlyMap<string, CommerceSnapshot>): boolean => {
  const entity = entityOf[item.type]
  const shopId = commerceIdOf(item, loaded.links.commerceId(entity, item.record.id))
  const shop = shopId === undefined ? undefined : seen.get(objectKey(entity, shopId))?.record
  if (shop === undefined || shop === null) return false
  return linkTargets(item).every((t) => {
    const target = loaded.records.get(objectKey(crmTypeOf[t.entity], t.crmId))
    const targetShopId = target === undefined ? undefined : commerceIdOf(target, loaded.links.commerceId(t.entity, t.crmId))
    return targetShopId !== undefined && shop[t.field] === targetShopId
  })
}

/** Round 5: what the shop receives for the wanted records, each record once however many messages want it. */
export const decideUpserts = (wanted: ReadonlyArray<Wanted>, loaded: Loaded): Decision => {
  const stored = new Map(loaded.snapshots.map((s) => [objectKey(s.type, s.id), s]))
  const seen = new Map(loaded.seen.map((s) => [objectKey(s.entity, s.id), s]))
  const verdicts = new Map<
    string,
    {
      readonly item: CrmRecord
      readonly verdict: Verdict
      readonly remembered: CrmRecord["record"]
      readonly pending: boolean
      readonly clears: boolean
    }
  >()
  const invalid = new Map<number, string>()
  const stale = new Map<number, string>()
  const byOthers = new Set(wanted.filter((w) => w.byOthers === true).map((w) => objectKey(w.type, w.id)))
  // A record linked to a parent the shop may not hold yet is sent with the link, remembered with
  // the link marked pending (news again once the parent's id is known, no news until then), and
  // its messages are read again until the parent's id is known.
  // Once the parent's id is known, the shop's own record may show that it resolved the link when
  // it took the record (the usual order): then the pending mark is no news, and it is cleared.
  const decide = (item: CrmRecord, lane: LaneName, before: CrmSnapshot | undefined, others: boolean) => {
    const unconfirmed = unconfirmedTargets(item, loaded)
    const remembered = unconfirmed.length === 0 ? item.record : withPendingLinks(item, unconfirmed)
    const resolved = unconfirmed.length === 0 && before !== undefined && hasPendingLinks(before.record) && shopHoldsLinks(item, loaded, seen)
    const judged = resolved ? ({ ...before, record: withoutPendingMarks(before.record) } as CrmSnapshot) : before
    const verdict = verdictOf(item, lane, loaded, judged, seen, others, remembered)
    // Cleared even when nothing is sent: a later change on the shop's side must not revive the mark.
    const clears = resolved && verdict._tag === "skip" && before.version === item.record.updatedAt
    return { item, verdict, remembered, pending: unconfirmed.length > 0, clears }
  }
  // A backfill record is not held back by a neighbour read while a write of ours to it may be
  // landing (a company page's id write-backs still in flight when its contacts' page runs): a page
  // runs once, so the record would be parked. The neighbour is not sent (stale); its own page or
  // message syncs it, and the record goes with its link pending while the neighbour's id is not
  // known. Live sync retries the message instead, as the neighbour's state may be news.
  for (const w of wanted) {
    const reasons: Array<string> = []
    const staleReasons: Array<string> = []
    for (const item of around(w, loaded.records)) {
      const key = objectKey(item.type, item.record.id)
      const decided = verdicts.get(key) ?? decide(item, w.lane, stored.get(key), byOthers.has(key))
      verdicts.set(key, decided)
      if (decided.verdict._tag === "invalid") reasons.push(decided.verdict.reason)
      if (decided.verdict._tag === "stale" && (w.lane === "live" || key === objectKey(w.type, w.id))) staleReasons.push(decided.verdict.reason)
    }
    if (reasons.length > 0) invalid.set(w.index, [invalid.get(w.index), ...reasons].filter((r) => r !== undefined).join(" | "))
    else if (staleReasons.length > 0) stale.set(w.index, staleReasons.join(" | "))
  }
  const valid = [...verdicts.values()].flatMap(({ item, verdict, remembered }) => (verdict._tag === "valid" ? [{ item, ...verdict, remembered }] : []))
  valid.sort((a, b) => parentRank[a.item.type] - parentRank[b.item.type])
  const pending = new Set([...verdicts].flatMap(([key, v]) => (v.pending ? [key] : [])))
  const awaiting = new Map<number, string>()
  for (const w of wanted) {
    // A backfill page runs once and would park what is retried; its records keep the pending
    // mark, so the next change that touches them sends the link again.
    if (invalid.has(w.index) || stale.has(w.index) || w.lane !== "live") continue
    const held = around(w, loaded.records).filter((item) => pending.has(objectKey(item.type, item.record.id)))
    if (held.length > 0)
      awaiting.set(
        w.index,
        held
          .map((item) => `${item.type} ${item.record.id} is linked to a record the shop may not hold yet (no shop id known): sent again once it has one`)
          .join(" | ")
      )
  }
  const toSend = valid.filter((v) => v.send)
  return {
    publish: toSend.map(({ upsert, lane }) =>
      message(routingKeys.upsert(upsert.entity), `${upsert.entity}:${upsert.crmId}:${upsert.version}`, upsert, upsert.version, lane)
    ),
    // The whole state the shop will hold, not only the patch: its echo carries every shared field.
    ledger: toSend.flatMap(({ upsert, item, shopBefore }) =>
      commerceWrites(upsert.entity, upsert.crmId, { ...shopBefore, ...upsert.fields, ...linkFieldsInShopIds(item, loaded.links) }, loaded.now)
    ),
    snapshots: [...valid, ...[...verdicts.values()].filter((v) => v.clears).map((v) => ({ ...v, remembered: v.item.record }))].map(
      ({ item, remembered }) => ({ type: item.type, id: item.record.id, version: item.record.updatedAt, record: remembered }) as CrmSnapshot
    ),
    invalid,
    stale,
    awaiting
  }
}
