import { Schema } from "effect"
import { CrmProperties } from "./CrmProperties.ts"
import { CompanyId, ContactId } from "./Ids.ts"

export const Contact = Schema.Struct({
  id: ContactId,
  properties: CrmProperties,
  /** `hs_lastmodifieddate` in epoch milliseconds: the version used to discard older writes. */
  updatedAt: Schema.Finite,
  companyIds: Schema.Array(CompanyId)
})
export type Contact = typeof Contact.Type
