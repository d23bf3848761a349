// Which HubSpot properties a commerce record should change: the table's mapping, minus what the
// CRM already holds, minus CRM-owned fields the CRM changed after this commerce version.
import { Option } from "effect"
import { type CommerceEntity, rowsOf } from "../domain/CorrespondenceTable.ts"
import type { CrmProperties } from "../domain/CrmProperties.ts"
import { toCrmProperties } from "../domain/Mapping.ts"

const crmOwned = (entity: CommerceEntity) => new Set(rowsOf(entity).filter((r) => r.owner === "crm").map((r) => r.crmProperty))

export interface CurrentCrmRecord {
  readonly properties: CrmProperties
  readonly updatedAt: number
}

/** Nothing to write means the event is the echo of what the CRM already holds. */
export const propertiesToWrite = (
  entity: CommerceEntity,
  record: Readonly<Record<string, unknown>>,
  version: number,
  current: Option.Option<CurrentCrmRecord>
): CrmProperties => {
  const wanted = toCrmProperties(entity, record)
  if (Option.isNone(current)) return wanted
  const crmIsNewer = current.value.updatedAt > version
  const owned = crmOwned(entity)
  const held = (property: string) => current.value.properties[property] ?? null
  return Object.fromEntries(Object.entries(wanted).filter(([property, value]) => held(property) !== value && !(crmIsNewer && owned.has(property))))
}
