import { Schema } from "effect"
import { BusinessId, OrderId, PurchaseId, UserId } from "./Ids.ts"

export const PurchaseStatus = Schema.Literals(["pending", "paid", "shipped", "delivered", "cancelled", "refunded"])
export type PurchaseStatus = typeof PurchaseStatus.Type

export const Purchase = Schema.Struct({
  id: PurchaseId,
  /** The shop's human order number, e.g. "#1001". */
  reference: Schema.String,
  name: Schema.optionalKey(Schema.String),
  /** Money in minor units of `currency` (cents for EUR, yen for JPY). */
  totalMinor: Schema.Int,
  /** ISO 4217. */
  currency: Schema.String,
  status: PurchaseStatus,
  placedAt: Schema.String,
  userId: Schema.optionalKey(UserId),
  businessId: Schema.optionalKey(BusinessId),
  crmId: Schema.optionalKey(OrderId),
  updatedAt: Schema.String
})
export type Purchase = typeof Purchase.Type
