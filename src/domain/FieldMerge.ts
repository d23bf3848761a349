// Three-way merge per field. The base is what both sides agreed on at the last sync (the CRM
// snapshot); comparing each side with it tells who changed what, and the correspondence table's
// owner settles a field both changed. So a stale copy on one side never undoes an edit on the other.
import { Predicate } from "effect"
import { fieldWinner } from "./ConflictRules.ts"
import { type CommerceEntity, rowsOf } from "./CorrespondenceTable.ts"
import type { CrmProperties } from "./CrmProperties.ts"
import { getPath, rowsToCommerce, setPath, toCommerceFields, toCrmProperties } from "./Mapping.ts"

type Fields = Readonly<Record<string, unknown>>

// Scalars (nearly every field) compare directly; only nested values go through JSON.
const same = (a: unknown, b: unknown): boolean => {
  const x = a ?? null
  const y = b ?? null
  if (x === y) return true
  return typeof x === "object" && typeof y === "object" && JSON.stringify(x) === JSON.stringify(y)
}
const blank = (value: unknown): boolean => value === undefined || value === null || value === ""
const orNull = (value: unknown): unknown => (blank(value) ? null : value)

/**
 * The commerce fields to send for a CRM record: those the CRM changed since the base and wins
 * (all of them on a first sync). A nested group (the address) travels whole, since the shop
 * replaces top-level fields.
 */
export const fieldsForCommerce = (
  entity: CommerceEntity,
  crmNow: CrmProperties,
  crmBase: CrmProperties | undefined,
  commerceSeen: Fields | undefined
): Record<string, unknown> => {
  const now = toCommerceFields(entity, crmNow)
  const base = crmBase === undefined ? undefined : toCommerceFields(entity, crmBase)
  const keys = new Set<string>()
  const cleared: Array<string> = []
  for (const row of rowsToCommerce[entity]) {
    const before = base === undefined ? undefined : getPath(base, row.commerceField)
    // Empty values are left out of the mapping: a field that had a value at the base and has none
    // now was cleared in the CRM, and the clear must travel as an explicit null.
    const value = getPath(now, row.commerceField) ?? (before === undefined ? undefined : null)
    if (value === undefined) continue
    const crmChanged = base === undefined || !same(before, value)
    const seen = commerceSeen === undefined ? undefined : getPath(commerceSeen, row.commerceField)
    const commerceChanged = base !== undefined && commerceSeen !== undefined && !same(seen, before) && !same(seen, value)
    if (row.direction === "to-commerce" || fieldWinner(row, crmChanged, commerceChanged) === "crm") {
      keys.add(row.commerceField.split(".")[0] as string)
      if (value === null) cleared.push(row.commerceField)
    }
  }
  // `now` was built for this call: only its nested groups are copied, as the clears below write into them.
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(now)) if (keys.has(key)) fields[key] = Predicate.isObject(value) ? structuredClone(value) : value
  for (const path of cleared) setPath(fields, path, null)
  return fields
}

/**
 * The HubSpot properties to write for a commerce record: those that differ from what HubSpot
 * holds and that the shop wins. A property HubSpot changed since the base (or, with no base,
 * already holds) stays when the CRM owns it.
 */
export const propertiesForCrm = (
  entity: CommerceEntity,
  record: Fields,
  crmNow: CrmProperties | undefined,
  crmBase: CrmProperties | undefined
): CrmProperties => {
  const wanted = toCrmProperties(entity, record)
  if (crmNow === undefined) return wanted
  const rows = new Map(rowsOf(entity).map((r) => [r.crmProperty, r]))
  return Object.fromEntries(
    Object.entries(wanted).filter(([property, value]) => {
      // HubSpot stores a cleared value as "", we send null: both are "empty".
      const current = orNull(crmNow[property])
      if (same(current, orNull(value))) return false
      const crmChanged = crmBase === undefined ? current !== null : !same(current, orNull(crmBase[property]))
      const row = rows.get(property)
      return row === undefined || fieldWinner(row, crmChanged, true) === "commerce"
    })
  )
}
