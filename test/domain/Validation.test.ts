import { describe, expect, test } from "bun:test"
import { Result } from "effect"
import type { CommerceEntity } from "../../src/domain/CorrespondenceTable.ts"
import { validate, validateFields } from "../../src/domain/Validation.ts"
import { aBusiness, aPurchase, aUser } from "./mothers.ts"

const issuesOf = (entity: CommerceEntity, input: unknown) => {
  const result = validate(entity, input)
  return Result.isFailure(result) ? result.failure.issues.map((i) => `${i.path}:${i.rule}`) : []
}

describe("valid records pass and decode to their domain type", () => {
  test.each([
    ["user", aUser()],
    ["business", aBusiness()],
    ["purchase", aPurchase()]
  ] as const)("%s", (entity, record) => {
    const result = validate(entity, record)
    expect(Result.isSuccess(result) && result.success).toMatchObject({ id: record["id"] })
  })
})

describe("each rule names its field", () => {
  test.each([
    ["user", aUser({ email: "ada@" }), "email:email"],
    ["user", aUser({ email: undefined }), "email:required"],
    ["user", aUser({ phone: "12345" }), "phone:phone"],
    ["user", aUser({ firstName: "x".repeat(101) }), "firstName:maxLength"],
    ["user", aUser({ locale: "not a locale!" }), "locale:locale"],
    ["user", aUser({ address: { line1: "1 Main St", city: "Austin", postalCode: "73301", country: "US" } }), "address.state:stateRequiredForCountry"],
    ["user", aUser({ address: { line1: "1 Rue", city: "Montréal", postalCode: "H2X", country: "CA", state: " " } }), "address.state:stateRequiredForCountry"],
    ["user", aUser({ address: { line1: "x", city: "y", postalCode: "1", country: "Germany" } }), "address.country:countryCode"],
    ["user", aUser({ businessId: 42 }), "businessId:type"],
    ["business", aBusiness({ vatNumber: "DE12345" }), "vatNumber:vatFormatForCountry"],
    ["business", aBusiness({ country: "FR", vatNumber: "DE123456789" }), "vatNumber:vatFormatForCountry"],
    ["business", aBusiness({ country: undefined }), "country:countryRequiredForVat"],
    ["business", aBusiness({ domain: "Not A Domain" }), "domain:domain"],
    ["business", aBusiness({ name: "   " }), "name:nonEmpty"],
    ["purchase", aPurchase({ totalMinor: 0 }), "totalMinor:positiveTotalWhenPaid"],
    ["purchase", aPurchase({ totalMinor: 12.5 }), "totalMinor:minorUnits"],
    ["purchase", aPurchase({ currency: "EURO" }), "currency:currencyCode"],
    ["purchase", aPurchase({ status: "lost" }), "status:enum"],
    ["purchase", aPurchase({ placedAt: "yesterday" }), "placedAt:instant"]
  ] as const)("%s %#: %s → %s", (entity, record, expected) => {
    expect(issuesOf(entity, record)).toContain(expected)
  })
})

test("the field-dependency rules accept what they should", () => {
  expect(issuesOf("user", aUser({ address: { line1: "1 Main St", city: "Austin", postalCode: "73301", state: "TX", country: "US" } }))).toEqual([])
  expect(issuesOf("business", aBusiness({ country: "GR", vatNumber: "EL123456789" }))).toEqual([])
  expect(issuesOf("business", aBusiness({ country: "CH", vatNumber: "CHE123" }))).toEqual([])
  expect(issuesOf("purchase", aPurchase({ status: "pending", totalMinor: 0 }))).toEqual([])
})

test("a failure names every broken field, not only the first", () => {
  const issues = issuesOf("user", aUser({ email: "bad", phone: "1", firstName: "", address: { line1: "x", city: "y", postalCode: "1", country: "US" } }))
  expect(issues).toEqual(expect.arrayContaining(["email:email", "phone:phone", "address.state:stateRequiredForCountry"]))
  expect(issues.length).toBeGreaterThanOrEqual(3)
})

test("the CRM edge validates the fields it carries with the same rules", () => {
  const result = validateFields("user", { email: "nope", address: { country: "US", line1: "x", city: "y" } })
  expect(Result.isFailure(result) && result.failure.issues.map((i) => i.rule)).toEqual(["email", "stateRequiredForCountry"])
  expect(Result.isSuccess(validateFields("user", { firstName: "Ada" }))).toBe(true)
})

test("a validation failure is never retryable and reads well", () => {
  const result = validate("purchase", aPurchase({ currency: "XXQ" }))
  expect(Result.isFailure(result) && result.failure.isRetryable).toBe(false)
  expect(Result.isFailure(result) && result.failure.message).toContain("currency [currencyCode]")
})
