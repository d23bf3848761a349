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
export const ARCHIVED: CrmProperties = { "crm-sync:archived": "true" }

export const crmLedgerKey = (type: CrmObjectType, id: string): LedgerKey => ({ side: "crm", objectKey: `${type}:${id}` })
/** The shop's side is keyed by the CRM id: the shop's own id may not exist yet. */
export const commerceLedgerKey = (entity: CommerceEntity, crmId: string): LedgerKey => ({ side: "commerce", objectKey: `${entity}:crm:${crmId}` })

const present = (value: unknown): boolean => value !== undefined && value !== null && value !== ""

/** Fields synced both ways plus the links (businessId, userId): a changed link is never an echo. */
const echoFields = (entity: CommerceEntity): ReadonlyArray<string> => [
  ...rowsOf(entity)
    .filter((row) => row.direction === "both")
    .map((row) => row.commerceField),
  ...associationRows.filter((row) => row.entity === entity).map((row) => row.commerceField)
]

const sharedFieldValues = (entity: CommerceEntity, fields: Readonly<Record<string, unknown>>): ReadonlyArray<readonly [string, unknown]> =>
  echoFields(entity).flatMap((field) => {
    const value = getPath(fields, field)
    return present(value) ? [[field, value] as const] : []
  })

const entriesOf = (key: LedgerKey, values: ReadonlyArray<readonly [string, unknown]>, now: number): ReadonlyArray<LedgerEntry> =>
  values.map(([property, value]) => ({ ...key, property, valueHash: valueHash(value), expiresAt: now + LEDGER_TTL_MS }))

/** What we are about to write to HubSpot (cleared values are not remembered). */
export const crmWrites = (type: CrmObjectType, id: string, properties: CrmProperties, now: number): ReadonlyArray<LedgerEntry> =>
  entriesOf(
    crmLedgerKey(type, id),
    Object.entries(properties).filter(([, value]) => present(value)),
    now
  )

/** What we are about to send the shop: its shared fields and links. */
export const commerceWrites = (entity: CommerceEntity, crmId: string, fields: Readonly<Record<string, unknown>>, now: number): ReadonlyArray<LedgerEntry> =>
  entriesOf(commerceLedgerKey(entity, crmId), sharedFieldValues(entity, fields), now)

/** The loaded entries, indexed for the checks below. */
export interface Ledger {
  readonly has: (key: LedgerKey, property: string, hash: string) => boolean
}
export const ledgerOf = (entries: ReadonlyArray<LedgerEntry>, now: number): Ledger => {
  const known = new Set(entries.filter((e) => e.expiresAt > now).map((e) => `${e.side}|${e.objectKey}|${e.property}|${e.valueHash}`))
  return { has: (key, property, hash) => known.has(`${key.side}|${key.objectKey}|${property}|${hash}`) }
}

const allOurs = (ledger: Ledger, key: LedgerKey, values: ReadonlyArray<readonly [string, unknown]>): boolean =>
  values.length > 0 && values.every(([property, value]) => ledger.has(key, property, valueHash(value)))

/** True when every given (non-empty) property holds a value we wrote to HubSpot ourselves. */
export const isOwnCrmWrite = (ledger: Ledger, type: CrmObjectType, id: string, properties: CrmProperties): boolean =>
  allOurs(
    ledger,
    crmLedgerKey(type, id),
    Object.entries(properties).filter(([, value]) => present(value))
  )

/** True when every shared field of the shop's record holds a value we sent it ourselves. */
export const isOwnCommerceWrite = (ledger: Ledger, entity: CommerceEntity, crmId: string, record: Readonly<Record<string, unknown>>): boolean =>
  allOurs(ledger, commerceLedgerKey(entity, crmId), sharedFieldValues(entity, record))

