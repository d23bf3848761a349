import { Schema } from "effect"

/** HubSpot carries every property value as a string; `null` clears it. */
export const CrmProperties = Schema.Record(Schema.String, Schema.NullOr(Schema.String))
export type CrmProperties = typeof CrmProperties.Type

/** The three CRM object types the service syncs. */
export const CrmObjectType = Schema.Literals(["contact", "company", "order"])
export type CrmObjectType = typeof CrmObjectType.Type
