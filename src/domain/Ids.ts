// Branded ids, one per side and entity, so a HubSpot contact id can never be passed where a
// commerce user id is expected.
import { Schema } from "effect"

/** HubSpot ids are decimal strings (`hs_object_id`). */
const HubSpotId = Schema.String.check(Schema.isPattern(/^[0-9]{1,20}$/))
const CommerceId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

export const ContactId = HubSpotId.pipe(Schema.brand("ContactId"))
export type ContactId = typeof ContactId.Type
export const CompanyId = HubSpotId.pipe(Schema.brand("CompanyId"))
export type CompanyId = typeof CompanyId.Type
export const OrderId = HubSpotId.pipe(Schema.brand("OrderId"))
export type OrderId = typeof OrderId.Type

export const UserId = CommerceId.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type
export const BusinessId = CommerceId.pipe(Schema.brand("BusinessId"))
export type BusinessId = typeof BusinessId.Type
export const PurchaseId = CommerceId.pipe(Schema.brand("PurchaseId"))
export type PurchaseId = typeof PurchaseId.Type
