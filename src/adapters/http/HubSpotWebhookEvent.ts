// HubSpot's webhook event format, decoded at the edge into the domain's CrmChange.
import { Schema } from "effect"
import type { CrmChange, CrmChangeKind } from "../../domain/CrmChange.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"

const Id = Schema.Union([Schema.Finite, Schema.String])

export const HubSpotWebhookEvent = Schema.Struct({
  eventId: Id,
  subscriptionId: Id,
  portalId: Id,
  occurredAt: Schema.Finite,
  subscriptionType: Schema.String,
  attemptNumber: Schema.optionalKey(Schema.Finite),
  changeSource: Schema.optionalKey(Schema.String),
  /** The app HubSpot delivers to (ours). */
  appId: Schema.optionalKey(Id),
  /** Who changed the object: `userId:<n>` for a person, the app's id for an app's API write. */
  sourceId: Schema.optionalKey(Schema.String),
  objectId: Schema.optionalKey(Id),
  objectTypeId: Schema.optionalKey(Schema.String),
  propertyName: Schema.optionalKey(Schema.String),
  propertyValue: Schema.optionalKey(Schema.String),
  primaryObjectId: Schema.optionalKey(Id),
  mergedObjectIds: Schema.optionalKey(Schema.Array(Id)),
  associationType: Schema.optionalKey(Schema.String),
  fromObjectId: Schema.optionalKey(Id),
  toObjectId: Schema.optionalKey(Id),
  associationRemoved: Schema.optionalKey(Schema.Boolean)
})
export type HubSpotWebhookEvent = typeof HubSpotWebhookEvent.Type

const prefixes: Readonly<Record<string, CrmObjectType>> = { contact: "contact", company: "company", CONTACT: "contact", COMPANY: "company", ORDER: "order" }
const ORDER_TYPE_ID = "0-123"
const kinds = new Set<string>(["creation", "deletion", "propertyChange", "merge", "restore", "associationChange", "privacyDeletion"])

const objectTypeOf = (event: HubSpotWebhookEvent, prefix: string): CrmObjectType | undefined =>
  prefix === "object" ? (event.objectTypeId === ORDER_TYPE_ID ? "order" : undefined) : prefixes[prefix]

/** HubSpot's eventId is not unique on its own; this is the composite the docs recommend. */
export const dedupeKey = (e: HubSpotWebhookEvent): string =>
  JSON.stringify([e.portalId, e.subscriptionId, e.subscriptionType, e.objectId ?? e.fromObjectId ?? null, e.eventId, e.occurredAt, e.propertyName ?? null])

/**
 * Our own write when the change came through an integration whose source is the app the webhook
 * is delivered to (us); someone else's when the source is known and is not us; else unknown.
 */
export const originOf = (event: HubSpotWebhookEvent): "us" | "others" | undefined => {
  if (event.changeSource === undefined || event.sourceId === undefined) return undefined
  const app = event.appId === undefined ? undefined : String(event.appId)
  const ours = app !== undefined && (event.sourceId === app || event.sourceId === `appId:${app}`)
  if (ours) return "us"
  // An integration source we cannot attribute (no appId delivered) stays unknown.
  return app === undefined && event.changeSource === "INTEGRATION" ? undefined : "others"
}

/** The change, or undefined for subscriptions the sync does not follow (deals, tickets, …). */
export const toCrmChange = (event: HubSpotWebhookEvent): CrmChange | undefined => {
  const [prefix = "", kind = ""] = event.subscriptionType.split(".")
  const objectType = objectTypeOf(event, prefix)
  if (objectType === undefined || !kinds.has(kind)) return undefined
  const association = kind === "associationChange" ? /^([A-Z]+)_TO_([A-Z]+)/.exec(event.associationType ?? "") : null
  const associatedObjectType = association === null ? undefined : prefixes[association[2] ?? ""]
  const objectId = event.objectId ?? event.fromObjectId
  if (objectId === undefined) return undefined
  const origin = originOf(event)
  return {
    key: dedupeKey(event),
    objectType,
    objectId: String(objectId),
    kind: kind as CrmChangeKind,
    occurredAt: event.occurredAt,
    ...(event.propertyName === undefined ? {} : { propertyName: event.propertyName }),
    ...(event.propertyValue === undefined ? {} : { propertyValue: event.propertyValue }),
    ...(event.changeSource === undefined ? {} : { changeSource: event.changeSource }),
    ...(origin === undefined ? {} : { origin }),
    ...(event.mergedObjectIds === undefined ? {} : { mergedObjectIds: event.mergedObjectIds.map(String) }),
    ...(event.primaryObjectId === undefined ? {} : { primaryObjectId: String(event.primaryObjectId) }),
    ...(associatedObjectType === undefined ? {} : { associatedObjectType }),
    ...(event.toObjectId === undefined ? {} : { associatedObjectId: String(event.toObjectId) }),
    ...(event.associationRemoved === undefined ? {} : { associationRemoved: event.associationRemoved })
  }
}
