// Rules that tie one field to another. Each returns the issues it finds, never throws.

import type { CommerceEntity } from "./CorrespondenceTable.ts"
import { getPath } from "./Mapping.ts"
import type { ValidationIssue } from "./ValidationFailed.ts"
import { euVatFormats } from "./ValidationRules.ts"

type Fields = Readonly<Record<string, unknown>>
type DependencyRule = (record: Fields) => ReadonlyArray<ValidationIssue>

const STATE_REQUIRED = new Set(["US", "CA"])
const PAID_STATES = new Set(["paid", "shipped", "delivered"])

const stateRequiredForCountry: DependencyRule = (record) => {
  const country = getPath(record, "address.country")
  const state = getPath(record, "address.state")
  const missing = typeof state !== "string" || state.trim() === ""
  return typeof country === "string" && STATE_REQUIRED.has(country) && missing
    ? [{ path: "address.state", rule: "stateRequiredForCountry", message: `is required when the country is ${country}` }]
    : []
}

const vatMatchesCountry: DependencyRule = (record) => {
  const vat = record["vatNumber"]
  const country = record["country"]
  if (typeof vat !== "string" || typeof country !== "string") return []
  const format = euVatFormats[country]
  return format !== undefined && !format.test(vat.replace(/[\s.-]/g, "").toUpperCase())
    ? [{ path: "vatNumber", rule: "vatFormatForCountry", message: `does not fit the VAT number format of ${country}` }]
    : []
}

const paidNeedsPositiveTotal: DependencyRule = (record) => {
  const status = record["status"]
  const total = record["totalMinor"]
  return typeof status === "string" && PAID_STATES.has(status) && !(typeof total === "number" && total > 0)
    ? [{ path: "totalMinor", rule: "positiveTotalWhenPaid", message: `must be positive when the purchase is ${status}` }]
    : []
}

const businessNeedsCountryForVat: DependencyRule = (record) =>
  typeof record["vatNumber"] === "string" && record["country"] === undefined
    ? [{ path: "country", rule: "countryRequiredForVat", message: "is required when a VAT number is given" }]
    : []

export const dependencyRules: Readonly<Record<CommerceEntity, ReadonlyArray<DependencyRule>>> = {
  user: [stateRequiredForCountry],
  business: [vatMatchesCountry, businessNeedsCountryForVat],
  purchase: [paidNeedsPositiveTotal]
}
