// Both mapping directions, derived from the correspondence table.
import { Predicate } from "effect"
import { type CommerceEntity, type FieldRow, rowsOf } from "./CorrespondenceTable.ts"
import type { CrmProperties } from "./CrmProperties.ts"

type Fields = Readonly<Record<string, unknown>>

// Most paths are one key: looked up directly, without splitting (several lookups per field per record).
export const getPath = (record: Fields, path: string): unknown =>
  path.includes(".") ? path.split(".").reduce<unknown>((value, key) => (Predicate.isObject(value) ? (value as Fields)[key] : undefined), record) : record[path]

export const setPath = (record: Record<string, unknown>, path: string, value: unknown): void => {
  if (!path.includes(".")) {
    record[path] = value
    return
  }
  const keys = path.split(".")
  const last = keys.pop() as string
  let target = record
  for (const key of keys) {
    const next = target[key]
    target = Predicate.isObject(next) ? (next as Record<string, unknown>) : (target[key] = {})
  }
  target[last] = value
}

const flowsToCrm = (row: FieldRow) => row.direction !== "to-commerce"
const flowsToCommerce = (row: FieldRow) => row.direction !== "to-crm"
const rowsWhere = (keep: (row: FieldRow) => boolean): Readonly<Record<CommerceEntity, ReadonlyArray<FieldRow>>> => ({
  user: rowsOf("user").filter(keep),
  business: rowsOf("business").filter(keep),
  purchase: rowsOf("purchase").filter(keep)
})
/** Each direction's rows per entity, filtered once. */
export const rowsToCrm = rowsWhere(flowsToCrm)
export const rowsToCommerce = rowsWhere(flowsToCommerce)
const sharedRows = rowsWhere((row) => row.direction === "both")

/** Commerce record → HubSpot properties. Fields the record does not carry are left out, not cleared. */
export const toCrmProperties = (entity: CommerceEntity, record: Fields): CrmProperties => {
  const properties: Record<string, string | null> = {}
  for (const row of rowsToCrm[entity]) {
    const value = getPath(record, row.commerceField)
    if (value !== undefined) properties[row.crmProperty] = row.transform.toCrm(value, record)
  }
  return properties
}

/** HubSpot properties → commerce fields (nested where the path says so). Empty values are left out. */
export const toCommerceFields = (entity: CommerceEntity, properties: CrmProperties): Record<string, unknown> => {
  const fields: Record<string, unknown> = {}
  for (const row of rowsToCommerce[entity]) {
    const value = properties[row.crmProperty]
    if (value !== undefined && value !== null && value !== "") {
      setPath(fields, row.commerceField, row.transform.toCommerce(value, properties))
    }
  }
  return fields
}

/** The properties that carry data both ways (not ids): what an echo of our own write consists of. */
export const sharedProperties = (entity: CommerceEntity, properties: CrmProperties): CrmProperties =>
  Object.fromEntries(
    sharedRows[entity].filter((row) => properties[row.crmProperty] !== undefined).map((row) => [row.crmProperty, properties[row.crmProperty] ?? null])
  )
