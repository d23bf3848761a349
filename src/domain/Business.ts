import { Schema } from "effect"
import { BusinessId, CompanyId } from "./Ids.ts"

export const Business = Schema.Struct({
  id: BusinessId,
  name: Schema.String,
  domain: Schema.optionalKey(Schema.NullOr(Schema.String)),
  vatNumber: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** ISO 3166-1 alpha-2. */
  country: Schema.optionalKey(Schema.NullOr(Schema.String)),
  city: Schema.optionalKey(Schema.NullOr(Schema.String)),
  phone: Schema.optionalKey(Schema.NullOr(Schema.String)),
  crmId: Schema.optionalKey(CompanyId),
  updatedAt: Schema.String
})
export type Business = typeof Business.Type
