// Branded ids, one per side and entity, so a CRM contact id can never be passed where a
// commerce user id is expected.
import { Schema } from "effect"

/** CRM ids are opaque: each CRM has its own format (HubSpot's are decimal strings). */
const CrmId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256))
const CommerceId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))

export const ContactId = CrmId.pipe(Schema.brand("ContactId"))
export type ContactId = typeof ContactId.Type
export const CompanyId = CrmId.pipe(Schema.brand("CompanyId"))
export type CompanyId = typeof CompanyId.Type
export const OrderId = CrmId.pipe(Schema.brand("OrderId"))
export type OrderId = typeof OrderId.Type

export const UserId = CommerceId.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type
export const BusinessId = CommerceId.pipe(Schema.brand("BusinessId"))
export type BusinessId = typeof BusinessId.Type
export const PurchaseId = CommerceId.pipe(Schema.brand("PurchaseId"))
export type PurchaseId = typeof PurchaseId.Type
