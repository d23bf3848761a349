// The correspondence between HubSpot properties and commerce fields, as data. Both mapping
// directions, conflict ownership and the AsyncAPI docs are derived from these rows.
import type { CrmObjectType } from "./CrmProperties.ts"
import * as T from "./Transform.ts"

export type CommerceEntity = "user" | "business" | "purchase"
export type Direction = "both" | "to-crm" | "to-commerce"
export type Side = "crm" | "commerce"

export interface FieldRow {
  readonly entity: CommerceEntity
  readonly crmProperty: string
  /** Dot path into the commerce record, e.g. "address.city". */
  readonly commerceField: string
  readonly direction: Direction
  /** Who wins when both sides changed the field since the last sync. */
  readonly owner: Side
  readonly transform: T.Transform
}

export interface AssociationRow {
  readonly entity: CommerceEntity
  /** Commerce field holding the other entity's id, e.g. purchase.userId. */
  readonly commerceField: string
  readonly to: CommerceEntity
}

export const crmTypeOf: Readonly<Record<CommerceEntity, CrmObjectType>> = {
  user: "contact",
  business: "company",
  purchase: "order"
}

/** The unique HubSpot properties that carry commerce ids; batch upserts match on them. */
export const commerceIdProperty: Readonly<Record<CommerceEntity, string>> = {
  user: "ecommerce_user_id",
  business: "ecommerce_business_id",
  purchase: "ecommerce_purchase_id"
}

const row = (
  entity: CommerceEntity,
  crmProperty: string,
  commerceField: string,
  transform: T.Transform = T.text,
  direction: Direction = "both",
  owner: Side = "commerce"
): FieldRow => ({ entity, crmProperty, commerceField, direction, owner, transform })

const money = T.money({ commerce: "currency", crm: "hs_currency_code" })

export const fieldRows: ReadonlyArray<FieldRow> = [
  // contact ↔ user
  row("user", commerceIdProperty.user, "id", T.text, "to-crm"),
  row("user", "hs_object_id", "crmId", T.text, "to-commerce", "crm"),
  row("user", "email", "email"),
  row("user", "firstname", "firstName", T.text, "both", "crm"),
  row("user", "lastname", "lastName", T.text, "both", "crm"),
  row("user", "phone", "phone", T.phone, "both", "crm"),
  row("user", "hs_language", "locale", T.locale),
  row("user", "lifecyclestage", "stage", T.enumeration({ subscriber: "subscriber", prospect: "lead", customer: "customer" }), "both", "crm"),
  row("user", "address", "address.line1", T.text, "both", "crm"),
  row("user", "city", "address.city", T.text, "both", "crm"),
  row("user", "zip", "address.postalCode", T.text, "both", "crm"),
  row("user", "state", "address.state", T.text, "both", "crm"),
  row("user", "country", "address.country", T.country, "both", "crm"),
  // company ↔ business
  row("business", commerceIdProperty.business, "id", T.text, "to-crm"),
  row("business", "hs_object_id", "crmId", T.text, "to-commerce", "crm"),
  row("business", "name", "name", T.text, "both", "crm"),
  row("business", "domain", "domain"),
  row("business", "vat_number", "vatNumber"),
  row("business", "country", "country", T.country),
  row("business", "city", "city", T.text, "both", "crm"),
  row("business", "phone", "phone", T.phone, "both", "crm"),
  // order ↔ purchase: the shop owns its orders
  row("purchase", commerceIdProperty.purchase, "id", T.text, "to-crm"),
  row("purchase", "hs_object_id", "crmId", T.text, "to-commerce", "crm"),
  row("purchase", "hs_external_order_id", "reference"),
  row("purchase", "hs_order_name", "name"),
  row("purchase", "hs_currency_code", "currency"),
  row("purchase", "hs_total_price", "totalMinor", money),
  row(
    "purchase",
    "hs_pipeline_stage",
    "status",
    T.enumeration({ pending: "open", paid: "processed", shipped: "shipped", delivered: "delivered", cancelled: "cancelled", refunded: "refunded" })
  ),
  row("purchase", "hs_external_created_date", "placedAt", T.epochMillis)
]

export const associationRows: ReadonlyArray<AssociationRow> = [
  { entity: "user", commerceField: "businessId", to: "business" },
  { entity: "purchase", commerceField: "userId", to: "user" },
  { entity: "purchase", commerceField: "businessId", to: "business" }
]

// Filtered once: the mapping asks for an entity's rows several times per record on every batch.
const rowsByEntity: Readonly<Record<CommerceEntity, ReadonlyArray<FieldRow>>> = {
  user: fieldRows.filter((r) => r.entity === "user"),
  business: fieldRows.filter((r) => r.entity === "business"),
  purchase: fieldRows.filter((r) => r.entity === "purchase")
}
export const rowsOf = (entity: CommerceEntity): ReadonlyArray<FieldRow> => rowsByEntity[entity]

export const entityOf: Readonly<Record<CrmObjectType, CommerceEntity>> = {
  contact: "user",
  company: "business",
  order: "purchase"
}
