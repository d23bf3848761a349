// Turns CRM records into the upserts the commerce platform receives (flow A).
import { Effect, Option, Result } from "effect"
import type { Company } from "../domain/Company.ts"
import type { Contact } from "../domain/Contact.ts"
import { commerceIdProperty, entityOf } from "../domain/CorrespondenceTable.ts"
import { toCommerceFields } from "../domain/Mapping.ts"
import type { Order } from "../domain/Order.ts"
import type { ValidationFailed } from "../domain/ValidationFailed.ts"
import { validateFields } from "../domain/Validation.ts"
import type { EntityUpsert } from "./CommerceMessages.ts"
import { SyncStore } from "./ports/SyncStore.ts"

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

/** The upsert for one record, or the validation failure that keeps it from the platform. */
export const toUpsert = Effect.fn("toUpsert")(function* (item: CrmRecord) {
  const store = yield* SyncStore
  const entity = entityOf[item.type]
  const fields = toCommerceFields(entity, item.record.properties)
  const valid = validateFields(entity, fields)
  if (Result.isFailure(valid)) return Result.fail<ValidationFailed>(valid.failure)
  const linked = yield* store.commerceIdOf(entity, item.record.id)
  const commerceId = Option.getOrUndefined(linked) ?? item.record.properties[commerceIdProperty[entity]] ?? undefined
  const upsert: EntityUpsert = {
    entity,
    crmId: item.record.id,
    ...(commerceId ? { commerceId } : {}),
    version: item.record.updatedAt,
    fields,
    links: linksOf(item)
  }
  return Result.succeed(upsert)
})
