// Echo suppression as pure functions over write-ledger entries: what to remember about a write
// we make, and whether a reported state is nothing but our own writes. The handlers load the
// entries of a whole batch in one query and decide with these.
import { associationRows, type CommerceEntity, rowsOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { getPath } from "../domain/Mapping.ts"
import type { LedgerEntry, LedgerKey } from "./ports/WriteLedger.ts"
import { valueHash } from "./ValueHash.ts"

/** Long enough to outlive HubSpot's webhook delay and retries of the same delivery. */
export const LEDGER_TTL_MS = 15 * 60 * 1000

/** A pseudo-property that marks "we archived this record", so its deletion webhook is our echo. */
const ARCHIVED_PROPERTY = "crm-sync:archived"
export const ARCHIVED: CrmProperties = { [ARCHIVED_PROPERTY]: "true" }
/** A pseudo-property recorded once HubSpot applied our writes to a record: when they landed. */
const LANDED = "crm-sync:landed"
const MARKERS = new Set([ARCHIVED_PROPERTY, LANDED])

/** Our writes to these HubSpot records have landed (recorded after HubSpot's answer). */
export const crmWritesLanded = (records: ReadonlyArray<{ readonly type: CrmObjectType; readonly id: string }>, now: number): ReadonlyArray<LedgerEntry> =>
  records.map((r) => ({ ...crmLedgerKey(r.type, r.id), property: LANDED, valueHash: "", expiresAt: now + LEDGER_TTL_MS }))

export const crmLedgerKey = (type: CrmObjectType, id: string): LedgerKey => ({ side: "crm", objectKey: `${type}:${id}` })
/** The shop's side is keyed by the CRM id: the shop's own id may not exist yet. */
export const commerceLedgerKey = (entity: CommerceEntity, crmId: string): LedgerKey => ({ side: "commerce", objectKey: `${entity}:crm:${crmId}` })

const blank = (value: unknown): boolean => value === undefined || value === null || value === ""
/** Every empty value hashes alike: HubSpot reports a clear as "", we write null, the shop may omit it. */
const hashOf = (value: unknown): string => valueHash(blank(value) ? null : value)

/** Fields synced both ways plus the links (businessId, userId): a changed link is never an echo. */
const echoFieldsOf = (entity: CommerceEntity): ReadonlyArray<string> => [
  ...rowsOf(entity)
    .filter((row) => row.direction === "both")
    .map((row) => row.commerceField),
  ...associationRows.filter((row) => row.entity === entity).map((row) => row.commerceField)
]
// Listed once per entity, not per record written.
const echoFieldsByEntity: Readonly<Record<CommerceEntity, ReadonlyArray<string>>> = {
  user: echoFieldsOf("user"),
  business: echoFieldsOf("business"),
  purchase: echoFieldsOf("purchase")
}
const echoFields = (entity: CommerceEntity): ReadonlyArray<string> => echoFieldsByEntity[entity]

/** Every shared field, empty ones included: the shop's echo must match the whole state we left it in. */
const sharedFieldValues = (entity: CommerceEntity, fields: Readonly<Record<string, unknown>>): ReadonlyArray<readonly [string, unknown]> =>
  echoFields(entity).map((field) => [field, getPath(fields, field)] as const)

const entriesOf = (key: LedgerKey, values: ReadonlyArray<readonly [string, unknown]>, now: number): ReadonlyArray<LedgerEntry> =>
  values.map(([property, value]) => ({ ...key, property, valueHash: hashOf(value), expiresAt: now + LEDGER_TTL_MS }))

/** When an entry was recorded (our clock): entries live exactly `LEDGER_TTL_MS`. */
export const recordedAt = (entry: LedgerEntry): number => entry.expiresAt - LEDGER_TTL_MS

/** What we are about to write to HubSpot, clears included (issue 9 #6: a clear we wrote is our echo). */
export const crmWrites = (type: CrmObjectType, id: string, properties: CrmProperties, now: number): ReadonlyArray<LedgerEntry> =>
  entriesOf(crmLedgerKey(type, id), Object.entries(properties), now)

/**
 * What the shop will hold once it applied what we send: every shared field and link of `state`
 * (the record as the shop will have it, not only the patch), so its echo is recognised whole.
 */
export const commerceWrites = (entity: CommerceEntity, crmId: string, state: Readonly<Record<string, unknown>>, now: number): ReadonlyArray<LedgerEntry> =>
  entriesOf(commerceLedgerKey(entity, crmId), sharedFieldValues(entity, state), now)

/** The loaded entries, indexed for the checks below. */
export interface Ledger {
  /** True when `hash` is the value we wrote LAST to this property (an older write of ours is not: A→B→A is news). */
  readonly has: (key: LedgerKey, property: string, hash: string) => boolean
  /** True when `hash` is a value we wrote to this property before the one we wrote last (still in the window). */
  readonly superseded: (key: LedgerKey, property: string, hash: string) => boolean
  /**
   * True when a read of this object that began at `readStart` may predate a write of ours: the
   * read does not show the values we wrote last, and that write landed after the read began (or
   * has not been seen to land, for at most `inFlightMs`).
   */
  readonly mayPredateOwnWrite: (key: LedgerKey, properties: Readonly<Record<string, unknown>>, readStart: number, inFlightMs: number) => boolean
}
export const ledgerOf = (entries: ReadonlyArray<LedgerEntry>, now: number): Ledger => {
  const last = new Map<string, LedgerEntry>()
  const written = new Map<string, Set<string>>()
  const landedAt = new Map<string, number>()
  for (const e of entries) {
    if (e.expiresAt <= now) continue
    if (e.property === LANDED) {
      const object = `${e.side}|${e.objectKey}`
      landedAt.set(object, Math.max(landedAt.get(object) ?? 0, recordedAt(e)))
      continue
    }
    const property = `${e.side}|${e.objectKey}|${e.property}`
    const before = last.get(property)
    if (before === undefined || e.expiresAt >= before.expiresAt) last.set(property, e)
    written.set(property, (written.get(property) ?? new Set()).add(e.valueHash))
  }
  return {
    has: (key, property, hash) => last.get(`${key.side}|${key.objectKey}|${property}`)?.valueHash === hash,
    superseded: (key, property, hash) => {
      const id = `${key.side}|${key.objectKey}|${property}`
      return last.get(id)?.valueHash !== hash && (written.get(id)?.has(hash) ?? false)
    },
    mayPredateOwnWrite: (key, properties, readStart, inFlightMs) => {
      const object = `${key.side}|${key.objectKey}`
      const writes = [...last.values()].filter((e) => `${e.side}|${e.objectKey}` === object && !MARKERS.has(e.property))
      const newest = Math.max(...writes.map(recordedAt))
      if (writes.length === 0 || writes.every((e) => e.valueHash === hashOf(properties[e.property]))) return false
      const landed = landedAt.get(object)
      const landedBy = landed !== undefined && landed >= newest ? landed : newest + inFlightMs
      return landedBy >= readStart
    }
  }
}

const allOurs = (ledger: Ledger, key: LedgerKey, values: ReadonlyArray<readonly [string, unknown]>): boolean =>
  values.length > 0 && values.every(([property, value]) => ledger.has(key, property, hashOf(value)))

/** True when the one reported value (a webhook's property change; a clear included) is the last we wrote. */
export const isOwnCrmChange = (ledger: Ledger, type: CrmObjectType, id: string, properties: CrmProperties): boolean =>
  allOurs(ledger, crmLedgerKey(type, id), Object.entries(properties))

/**
 * The properties of a record read from HubSpot that hold the value we wrote to them last: our own
 * writes, not the CRM's news, whatever the stored snapshot (the merge base) says. A flow C run that
 * wrote them and died before saving its snapshot leaves a base older than HubSpot's values.
 */
export const ownCrmValues = (ledger: Ledger, type: CrmObjectType, id: string, properties: CrmProperties): CrmProperties => {
  const key = crmLedgerKey(type, id)
  return Object.fromEntries(Object.entries(properties).filter(([property, value]) => ledger.has(key, property, hashOf(value))))
}

/**
 * True when every property of a record read from HubSpot holds the value we wrote last. An empty
 * value counts only where `base` (the last synced state) had one: that is a clear, ours only if we
 * wrote it; a property empty then and now changed nothing.
 */
export const isOwnCrmWrite = (ledger: Ledger, type: CrmObjectType, id: string, properties: CrmProperties, base: CrmProperties | undefined): boolean =>
  allOurs(
    ledger,
    crmLedgerKey(type, id),
    Object.entries(properties).filter(([property, value]) => !blank(value) || (base !== undefined && !blank(base[property])))
  )

/** True when every shared field of the shop's record holds the value we sent it last. */
export const isOwnCommerceWrite = (ledger: Ledger, entity: CommerceEntity, crmId: string, record: Readonly<Record<string, unknown>>): boolean =>
  allOurs(ledger, commerceLedgerKey(entity, crmId), sharedFieldValues(entity, record))

/**
 * True when the shop's `value` of `field` is one we sent it before our last write to that field,
 * and the shop has not been seen holding that last write: its record predates what we sent last,
 * so the value is not the shop's news and must not go back to HubSpot over a newer CRM value
 * (both sides writing one record at once). Once the shop was seen holding our last value, an
 * older one again is a person's edit (A→B→A) and syncs.
 */
export const behindOwnCommerceWrite = (
  ledger: Ledger,
  entity: CommerceEntity,
  crmId: string,
  field: string,
  value: unknown,
  seen: Readonly<Record<string, unknown>> | undefined
): boolean => {
  const key = commerceLedgerKey(entity, crmId)
  if (!ledger.superseded(key, field, hashOf(value))) return false
  return seen === undefined || !ledger.has(key, field, hashOf(getPath(seen, field)))
}
