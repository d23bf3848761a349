import { Schema } from "effect"
import { CrmObjectType } from "./CrmProperties.ts"

/** What happened to a CRM object, as HubSpot's webhook subscriptions tell it. */
export const CrmChangeKind = Schema.Literals(["creation", "deletion", "propertyChange", "merge", "restore", "associationChange", "privacyDeletion"])
export type CrmChangeKind = typeof CrmChangeKind.Type

/** One change event from the CRM, decoded at the webhook edge. */
export const CrmChange = Schema.Struct({
  /**
   * Dedupe key: HubSpot's eventId is not unique by itself, so the key combines subscription,
   * object, event id, occurredAt and property.
   */
  key: Schema.String,
  objectType: CrmObjectType,
  objectId: Schema.String,
  kind: CrmChangeKind,
  occurredAt: Schema.Finite,
  propertyName: Schema.optionalKey(Schema.String),
  propertyValue: Schema.optionalKey(Schema.String),
  changeSource: Schema.optionalKey(Schema.String),
  /**
   * Who made the change, when the CRM says so: "us" (this service's own write, an echo whatever
   * the values) or "others" (a person or another integration: news even when the value is one we
   * wrote, so A→B→A is not lost). Absent when unknown; the write ledger decides then.
   */
  origin: Schema.optionalKey(Schema.Literals(["us", "others"])),
  mergedObjectIds: Schema.optionalKey(Schema.Array(Schema.String)),
  primaryObjectId: Schema.optionalKey(Schema.String),
  associatedObjectType: Schema.optionalKey(CrmObjectType),
  associatedObjectId: Schema.optionalKey(Schema.String),
  associationRemoved: Schema.optionalKey(Schema.Boolean)
})
export type CrmChange = typeof CrmChange.Type
