import { Schema } from "effect"
import { CrmProperties } from "./CrmProperties.ts"
import { CompanyId, ContactId, OrderId } from "./Ids.ts"

export const Order = Schema.Struct({
  id: OrderId,
  properties: CrmProperties,
  updatedAt: Schema.Finite,
  contactIds: Schema.Array(ContactId),
  companyIds: Schema.Array(CompanyId)
})
export type Order = typeof Order.Type
