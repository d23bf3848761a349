// Echo suppression: every property we write to HubSpot is remembered for a while, so the webhook
// that reports our own write back to us changes nothing and triggers no further write.
import { Clock, Effect } from "effect"
import { associationRows, type CommerceEntity, rowsOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { getPath } from "../domain/Mapping.ts"
import { type LedgerEntry, WriteLedger } from "./ports/WriteLedger.ts"
import { valueHash } from "./ValueHash.ts"

/** Long enough to outlive HubSpot's webhook delay and retries of the same delivery. */
export const LEDGER_TTL_MS = 15 * 60 * 1000

/** A pseudo-property that marks "we archived this record", so its deletion webhook is our echo. */
export const ARCHIVED: CrmProperties = { "crm-sync:archived": "true" }

export const crmObjectKey = (type: CrmObjectType, id: string) => `${type}:${id}`

/** True when every value is one we wrote to that object ourselves and its entry has not expired: one store query. */
const allOwnWrites = Effect.fn("allOwnWrites")(function* (side: LedgerEntry["side"], objectKey: string, values: ReadonlyArray<readonly [string, unknown]>) {
  if (values.length === 0) return false
  const now = yield* Clock.currentTimeMillis
  const entries = yield* WriteLedger.use((ledger) => ledger.find([{ side, objectKey }], now))
  const written = new Set(entries.map((e) => JSON.stringify([e.property, e.valueHash])))
  return values.every(([property, value]) => written.has(JSON.stringify([property, valueHash(value)])))
})

export const recordCrmWrites = Effect.fn("recordCrmWrites")(function* (type: CrmObjectType, id: string, properties: CrmProperties) {
  const ledger = yield* WriteLedger
  const now = yield* Clock.currentTimeMillis
  const entries = Object.entries(properties)
    .filter(([, value]) => value !== null && value !== "")
    .map(([property, value]) => ({ side: "crm" as const, objectKey: crmObjectKey(type, id), property, valueHash: valueHash(value), expiresAt: now + LEDGER_TTL_MS }))
  if (entries.length > 0) yield* ledger.record(entries)
})

/** True when every given property holds a value we wrote ourselves (a pure echo). */
export const isOwnCrmWrite = (type: CrmObjectType, id: string, properties: CrmProperties) =>
  allOwnWrites("crm", crmObjectKey(type, id), Object.entries(properties).filter(([, value]) => value !== null && value !== ""))

/** The shop's side: fields we sent it, keyed by the CRM id (the shop's id may not exist yet). */
export const commerceObjectKey = (entity: CommerceEntity, crmId: string) => `${entity}:crm:${crmId}`

/** Fields synced both ways plus the links (businessId, userId): a changed link is never an echo. */
const echoFields = (entity: CommerceEntity): ReadonlyArray<string> => [
  ...rowsOf(entity)
    .filter((row) => row.direction === "both")
    .map((row) => row.commerceField),
  ...associationRows.filter((row) => row.entity === entity).map((row) => row.commerceField)
]

const sharedFieldValues = (entity: CommerceEntity, fields: Readonly<Record<string, unknown>>) =>
  echoFields(entity).flatMap((field) => {
    const value = getPath(fields, field)
    return value === undefined || value === null || value === "" ? [] : [[field, value] as const]
  })

export const recordCommerceWrites = Effect.fn("recordCommerceWrites")(function* (entity: CommerceEntity, crmId: string, fields: Readonly<Record<string, unknown>>) {
  const ledger = yield* WriteLedger
  const now = yield* Clock.currentTimeMillis
  const entries = sharedFieldValues(entity, fields).map(([field, value]) => ({
    side: "commerce" as const,
    objectKey: commerceObjectKey(entity, crmId),
    property: field,
    valueHash: valueHash(value),
    expiresAt: now + LEDGER_TTL_MS
  }))
  if (entries.length > 0) yield* ledger.record(entries)
})

/** True when every shared field of the shop's record holds a value we sent it ourselves. */
export const isOwnCommerceWrite = (entity: CommerceEntity, crmId: string, record: Readonly<Record<string, unknown>>) =>
  allOwnWrites("commerce", commerceObjectKey(entity, crmId), sharedFieldValues(entity, record))
