// The message contract with the commerce platform (documented in docs/asyncapi.yaml, which is
// generated from these schemas). Field names inside `fields` are the commerce side's.
import { Schema } from "effect"

export const CommerceEntityName = Schema.Literals(["user", "business", "purchase"])

const Fields = Schema.Record(Schema.String, Schema.Unknown)

/** We → commerce: create or update the entity that mirrors a CRM record. */
export const EntityUpsert = Schema.Struct({
  entity: CommerceEntityName,
  crmId: Schema.String,
  /** Known once the platform has assigned it (flow B) or when the entity came from there. */
  commerceId: Schema.optionalKey(Schema.String),
  /** The CRM record's last-modified time (epoch ms): the platform keeps the newest. */
  version: Schema.Finite,
  fields: Fields,
  /** Links by CRM id, for the platform to resolve when it has not seen our ids yet. */
  links: Schema.Record(Schema.String, Schema.String)
})
export type EntityUpsert = typeof EntityUpsert.Type

export const EntityDelete = Schema.Struct({
  entity: CommerceEntityName,
  crmId: Schema.String,
  commerceId: Schema.optionalKey(Schema.String),
  version: Schema.Finite
})
export type EntityDelete = typeof EntityDelete.Type

/** A CRM merge: the survivor keeps its commerce entity; the merged-away ones are reported. */
export const EntityMerge = Schema.Struct({
  entity: CommerceEntityName,
  survivorCrmId: Schema.String,
  survivorCommerceId: Schema.optionalKey(Schema.String),
  mergedCrmIds: Schema.Array(Schema.String),
  mergedCommerceIds: Schema.Array(Schema.String),
  version: Schema.Finite
})
export type EntityMerge = typeof EntityMerge.Type

/** Either direction: one side tells the other the id it assigned. */
export const IdsAssigned = Schema.Struct({
  entity: CommerceEntityName,
  crmId: Schema.String,
  commerceId: Schema.String
})
export type IdsAssigned = typeof IdsAssigned.Type

/** Commerce → us: `user_created`, `business_updated`, `purchase_deleted`, … */
export const CommerceEvent = Schema.Struct({
  id: Schema.String,
  occurredAt: Schema.Finite,
  /** The entity as the platform has it; absent when the event carries only the id. */
  payload: Schema.optionalKey(Fields)
})
export type CommerceEvent = typeof CommerceEvent.Type

export const routingKeys = {
  upsert: (entity: string) => `tocommerce.${entity}.upsert`,
  delete: (entity: string) => `tocommerce.${entity}.delete`,
  merge: (entity: string) => `tocommerce.${entity}.merge`,
  /** HubSpot ids of entities that came from the platform (flow C). */
  crmIds: "tocommerce.ids.assigned",
  /** Commerce ids the platform assigned to entities we sent (flow B). */
  commerceIds: "commerce.ids.assigned",
  commerceEvent: (entity: string, action: "created" | "updated" | "deleted") => `commerce.${entity}_${action}`
} as const

/**
 * Every kind of message the contract promises the platform: each has a declared durable queue,
 * and a publish of one that reaches no queue is an error (never silently dropped).
 */
export const shopBoundKinds: ReadonlyArray<string> = [
  ...CommerceEntityName.literals.flatMap((entity) => [routingKeys.upsert(entity), routingKeys.delete(entity), routingKeys.merge(entity)]),
  routingKeys.crmIds
]
/** True for a routing key bound for the platform (`tocommerce.*`). */
export const isShopBound = (type: string): boolean => type.startsWith("tocommerce.")
