// Echo suppression: every property we write to HubSpot is remembered for a while, so the webhook
// that reports our own write back to us changes nothing and triggers no further write.
import { Clock, Effect } from "effect"
import { associationRows, type CommerceEntity, rowsOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { getPath } from "../domain/Mapping.ts"
import { SyncStore } from "./ports/SyncStore.ts"
import { valueHash } from "./ValueHash.ts"

/** Long enough to outlive HubSpot's webhook delay and retries of the same delivery. */
export const LEDGER_TTL_MS = 15 * 60 * 1000

/** A pseudo-property that marks "we archived this record", so its deletion webhook is our echo. */
export const ARCHIVED: CrmProperties = { "crm-sync:archived": "true" }

export const crmObjectKey = (type: CrmObjectType, id: string) => `${type}:${id}`

export const recordCrmWrites = Effect.fn("recordCrmWrites")(function* (type: CrmObjectType, id: string, properties: CrmProperties) {
  const store = yield* SyncStore
  const now = yield* Clock.currentTimeMillis
  const entries = Object.entries(properties)
    .filter(([, value]) => value !== null && value !== "")
    .map(([property, value]) => ({ side: "crm" as const, objectKey: crmObjectKey(type, id), property, valueHash: valueHash(value), expiresAt: now + LEDGER_TTL_MS }))
  if (entries.length > 0) yield* store.recordWrites(entries)
})

/** True when every given property holds a value we wrote ourselves (a pure echo). */
export const isOwnCrmWrite = Effect.fn("isOwnCrmWrite")(function* (type: CrmObjectType, id: string, properties: CrmProperties) {
  const store = yield* SyncStore
  const now = yield* Clock.currentTimeMillis
  const values = Object.entries(properties).filter(([, value]) => value !== null && value !== "")
  if (values.length === 0) return false
  for (const [property, value] of values) {
    if (!(yield* store.isEcho("crm", crmObjectKey(type, id), property, valueHash(value), now))) return false
  }
  return true
})

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
  const store = yield* SyncStore
  const now = yield* Clock.currentTimeMillis
  const entries = sharedFieldValues(entity, fields).map(([field, value]) => ({
    side: "commerce" as const,
    objectKey: commerceObjectKey(entity, crmId),
    property: field,
    valueHash: valueHash(value),
    expiresAt: now + LEDGER_TTL_MS
  }))
  if (entries.length > 0) yield* store.recordWrites(entries)
})

/** True when every shared field of the shop's record holds a value we sent it ourselves. */
export const isOwnCommerceWrite = Effect.fn("isOwnCommerceWrite")(function* (entity: CommerceEntity, crmId: string, record: Readonly<Record<string, unknown>>) {
  const store = yield* SyncStore
  const now = yield* Clock.currentTimeMillis
  const values = sharedFieldValues(entity, record)
  if (values.length === 0) return false
  for (const [field, value] of values) {
    if (!(yield* store.isEcho("commerce", commerceObjectKey(entity, crmId), field, valueHash(value), now))) return false
  }
  return true
})
