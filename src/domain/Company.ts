import { Schema } from "effect"
import { CrmProperties } from "./CrmProperties.ts"
import { CompanyId, ContactId } from "./Ids.ts"

export const Company = Schema.Struct({
  id: CompanyId,
  properties: CrmProperties,
  updatedAt: Schema.Finite,
  contactIds: Schema.Array(ContactId)
})
export type Company = typeof Company.Type
