// Which HubSpot properties a commerce record should change: the table's mapping, minus what the
// CRM already holds, minus CRM-owned fields the CRM changed after this commerce version.
import { Option } from "effect"
import { type CommerceEntity, commerceIdProperty, rowsOf } from "../domain/CorrespondenceTable.ts"
import type { CrmProperties } from "../domain/CrmProperties.ts"
import { toCrmProperties } from "../domain/Mapping.ts"
import type { Snapshot } from "./ports/SyncStore.ts"

const crmOwned = (entity: CommerceEntity) => new Set(rowsOf(entity).filter((r) => r.owner === "crm").map((r) => r.crmProperty))

export const propertiesToWrite = (
  entity: CommerceEntity,
  record: Readonly<Record<string, unknown>>,
  version: number,
  crmSnapshot: Option.Option<Snapshot>
): CrmProperties => {
  const wanted = toCrmProperties(entity, record)
  if (Option.isNone(crmSnapshot)) return wanted
  const current = (crmSnapshot.value.data as { readonly properties?: CrmProperties }).properties ?? {}
  const crmIsNewer = crmSnapshot.value.version > version
  const owned = crmOwned(entity)
  return Object.fromEntries(
    Object.entries(wanted).filter(
      ([property, value]) => property === commerceIdProperty[entity] || (current[property] !== value && !(crmIsNewer && owned.has(property)))
    )
  )
}
