// Flow A's pure parts: which CRM records carry news for the shop, and the upsert it receives.
import { Result } from "effect"
import type { Company } from "../domain/Company.ts"
import type { Contact } from "../domain/Contact.ts"
import { associationRows, type CommerceEntity, commerceIdProperty, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { fieldsForCommerce } from "../domain/FieldMerge.ts"
import { toCommerceFields } from "../domain/Mapping.ts"
import type { Order } from "../domain/Order.ts"
import { validateFields } from "../domain/Validation.ts"
import type { ValidationFailed } from "../domain/ValidationFailed.ts"
import type { EntityUpsert } from "./CommerceMessages.ts"

export type CrmRecord =
  | { readonly type: "contact"; readonly record: Contact }
  | { readonly type: "company"; readonly record: Company }
  | { readonly type: "order"; readonly record: Order }

/** Parents first, so the shop can resolve links: companies, then contacts, then orders. */
export const parentRank: Readonly<Record<CrmObjectType, number>> = { company: 0, contact: 1, order: 2 }

const idsOf = (record: object, key: "companyIds" | "contactIds"): ReadonlyArray<string> => {
  const ids = (record as Record<string, unknown>)[key]
  return Array.isArray(ids) ? (ids as ReadonlyArray<string>) : []
}

/** Associations travel as links; a change of them is news even when the version is not. */
export const associationsOf = (record: object | undefined): string =>
  record === undefined ? NO_LINKS : JSON.stringify([[...idsOf(record, "companyIds")].sort(), [...idsOf(record, "contactIds")].sort()])
const NO_LINKS = JSON.stringify([[], []])

/** Links by CRM id, named after the commerce field they fill. */
export const linksOf = (item: CrmRecord): Record<string, string> => {
  const links: Record<string, string | undefined> =
    item.type === "contact"
      ? { businessId: item.record.companyIds[0] }
      : item.type === "order"
        ? { userId: item.record.contactIds[0], businessId: item.record.companyIds[0] }
        : {}
  return Object.fromEntries(Object.entries(links).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/** The CRM records an upsert's links point to, by the shop entity that holds them. */
export const linkTargets = (item: CrmRecord): ReadonlyArray<{ readonly entity: CommerceEntity; readonly field: string; readonly crmId: string }> =>
  Object.entries(linksOf(item)).flatMap(([field, crmId]) => {
    const row = associationRows.find((r) => r.entity === entityOf[item.type] && r.commerceField === field)
    return row === undefined ? [] : [{ entity: row.to, field, crmId }]
  })

/** The shop id a record is known by: the stored link, else the commerce-id property HubSpot holds. */
export const commerceIdOf = (item: CrmRecord, linked: string | undefined): string | undefined =>
  linked ?? (item.record.properties[commerceIdProperty[entityOf[item.type]]] || undefined)

/**
 * The upsert for one record, or the validation failure that keeps it from the platform. `base`
 * is the record as last synced: only what the CRM changed since (and wins) is sent; `seen` is
 * the shop's record as we last saw it.
 */
export const buildUpsert = (
  item: CrmRecord,
  base: CrmProperties | undefined,
  commerceId: string | undefined,
  seen: Readonly<Record<string, unknown>> | undefined
): Result.Result<EntityUpsert, ValidationFailed> => {
  const entity = entityOf[item.type]
  const valid = validateFields(entity, toCommerceFields(entity, item.record.properties))
  if (Result.isFailure(valid)) return Result.fail(valid.failure)
  return Result.succeed({
    entity,
    crmId: item.record.id,
    ...(commerceId ? { commerceId } : {}),
    version: item.record.updatedAt,
    fields: fieldsForCommerce(entity, item.record.properties, base, seen),
    links: linksOf(item)
  })
}

/** A known record whose fields and links did not change for the shop carries nothing to send. */
export const isEmptyPatch = (upsert: EntityUpsert, base: CrmProperties | undefined, linksAreNews: boolean): boolean =>
  base !== undefined && upsert.commerceId !== undefined && !linksAreNews && Object.keys(upsert.fields).every((field) => field === "crmId")
