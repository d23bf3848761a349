import { Schema } from "effect"
import { BusinessId, ContactId, UserId } from "./Ids.ts"

// Structure only: the field rules (formats, lengths, dependencies) live in Validation so that a
// failure can name every broken field at once.
export const Address = Schema.Struct({
  line1: Schema.String,
  city: Schema.String,
  postalCode: Schema.String,
  state: Schema.optionalKey(Schema.String),
  country: Schema.String
})
export type Address = typeof Address.Type

export const UserStage = Schema.Literals(["subscriber", "prospect", "customer"])

// An optional field may be null: the platform clearing it (issue 9 #6), which HubSpot must learn.
export const User = Schema.Struct({
  id: UserId,
  email: Schema.String,
  firstName: Schema.optionalKey(Schema.NullOr(Schema.String)),
  lastName: Schema.optionalKey(Schema.NullOr(Schema.String)),
  phone: Schema.optionalKey(Schema.NullOr(Schema.String)),
  locale: Schema.optionalKey(Schema.NullOr(Schema.String)),
  stage: Schema.optionalKey(UserStage),
  address: Schema.optionalKey(Address),
  businessId: Schema.optionalKey(BusinessId),
  crmId: Schema.optionalKey(ContactId),
  /** ISO-8601 instant of the last change on the commerce side. */
  updatedAt: Schema.String
})
export type User = typeof User.Type
