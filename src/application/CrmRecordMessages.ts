// Turns CRM records into the upserts the commerce platform receives (flow A).
import { Effect, Option, Predicate, Result } from "effect"
import type { Company } from "../domain/Company.ts"
import type { Contact } from "../domain/Contact.ts"
import { commerceIdProperty, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmProperties } from "../domain/CrmProperties.ts"
import { fieldsForCommerce } from "../domain/FieldMerge.ts"
import { toCommerceFields } from "../domain/Mapping.ts"
import type { Order } from "../domain/Order.ts"
import type { ValidationFailed } from "../domain/ValidationFailed.ts"
import { validateFields } from "../domain/Validation.ts"
import type { EntityUpsert } from "./CommerceMessages.ts"
import { commerceIdOf } from "./LinkLookups.ts"
import { Snapshots } from "./ports/Snapshots.ts"

export type CrmRecord = { readonly type: "contact"; readonly record: Contact } | { readonly type: "company"; readonly record: Company } | { readonly type: "order"; readonly record: Order }

/** Links by CRM id, named after the commerce field they fill. */
const linksOf = (item: CrmRecord): Record<string, string> => {
  const first = (ids: ReadonlyArray<string>) => ids[0]
  const links: Record<string, string | undefined> =
    item.type === "contact"
      ? { businessId: first(item.record.companyIds) }
      : item.type === "order"
        ? { userId: first(item.record.contactIds), businessId: first(item.record.companyIds) }
        : {}
  return Object.fromEntries(Object.entries(links).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/** The CRM properties of a snapshot's data, if it has any. */
export const snapshotProperties = (data: unknown): CrmProperties | undefined =>
  Predicate.isObject(data) && Predicate.isObject((data as { properties?: unknown }).properties) ? (data as { properties: CrmProperties }).properties : undefined

/**
 * The upsert for one record, or the validation failure that keeps it from the platform. `base`
 * is the record as last synced: only what the CRM changed since (and wins) is sent.
 */
export const toUpsert = Effect.fn("toUpsert")(function* (item: CrmRecord, base: CrmProperties | undefined) {
  const entity = entityOf[item.type]
  const valid = validateFields(entity, toCommerceFields(entity, item.record.properties))
  if (Result.isFailure(valid)) return Result.fail<ValidationFailed>(valid.failure)
  const linked = yield* commerceIdOf(entity, item.record.id)
  const commerceId = Option.getOrUndefined(linked) ?? item.record.properties[commerceIdProperty[entity]] ?? undefined
  const seen = commerceId ? (yield* Snapshots.use((s) => s.getCommerce([{ entity, id: commerceId }])))[0]?.record : undefined
  const upsert: EntityUpsert = {
    entity,
    crmId: item.record.id,
    ...(commerceId ? { commerceId } : {}),
    version: item.record.updatedAt,
    fields: fieldsForCommerce(entity, item.record.properties, base, seen ?? undefined),
    links: linksOf(item)
  }
  return Result.succeed(upsert)
})
