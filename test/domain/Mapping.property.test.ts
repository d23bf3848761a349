import { describe, expect, test } from "bun:test"
import { Result } from "effect"
import fc from "fast-check"
import { type CommerceEntity, rowsOf } from "../../src/domain/CorrespondenceTable.ts"
import { getPath, toCommerceFields, toCrmProperties } from "../../src/domain/Mapping.ts"
import { validate } from "../../src/domain/Validation.ts"
import { businessArb, purchaseArb, userArb } from "./arbitraries.ts"

const sharedPaths = (entity: CommerceEntity) =>
  rowsOf(entity)
    .filter((r) => r.direction === "both")
    .map((r) => r.commerceField)

const roundTrip = (entity: CommerceEntity, record: Record<string, unknown>) => {
  const back = toCommerceFields(entity, toCrmProperties(entity, record))
  for (const path of sharedPaths(entity)) expect(getPath(back, path)).toEqual(getPath(record, path))
}

describe("commerce → CRM → commerce is the identity on the fields both sides carry", () => {
  test("user ↔ contact", () =>
    fc.assert(
      fc.property(userArb, (u) => roundTrip("user", u)),
      { numRuns: 300 }
    ))
  test("business ↔ company", () =>
    fc.assert(
      fc.property(businessArb, (b) => roundTrip("business", b)),
      { numRuns: 300 }
    ))
  test("purchase ↔ order", () =>
    fc.assert(
      fc.property(purchaseArb, (p) => roundTrip("purchase", p)),
      { numRuns: 300 }
    ))
})

describe("the generated records are valid, so the round trip covers real inputs", () => {
  test.each([
    ["user", userArb],
    ["business", businessArb],
    ["purchase", purchaseArb]
  ] as const)("%s", (entity, arb) => {
    fc.assert(
      fc.property(arb as fc.Arbitrary<Record<string, unknown>>, (record) => {
        const result = validate(entity, record)
        if (Result.isFailure(result)) throw new Error(result.failure.message)
      }),
      { numRuns: 200 }
    )
  })
})

describe("mapping CRM properties never throws, whatever HubSpot sends", () => {
  test.each(["user", "business", "purchase"] as const)("%s", (entity) => {
    const crmProperty = fc.constantFrom(...rowsOf(entity).map((r) => r.crmProperty))
    fc.assert(
      fc.property(fc.dictionary(crmProperty, fc.oneof(fc.string(), fc.bigInt().map(String), fc.double().map(String), fc.constant(null))), (properties) => {
        toCommerceFields(entity, properties)
      }),
      { numRuns: 500 }
    )
  })
})

describe("validation never throws and always returns a typed result", () => {
  test.each(["user", "business", "purchase"] as const)("%s on arbitrary input", (entity) => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.object({ withNullPrototype: true, withObjectString: true })), (input) => {
        const result = validate(entity, input)
        expect(Result.isSuccess(result) || result.failure._tag === "ValidationFailed").toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  test.each(["user", "business", "purchase"] as const)("%s on records with wrong field types", (entity) => {
    const hostile = fc.dictionary(
      fc.constantFrom("id", "email", "name", "phone", "address", "totalMinor", "status", "currency", "vatNumber", "country", "__proto__", "$where"),
      fc.anything()
    )
    fc.assert(
      fc.property(hostile, (input) => {
        const result = validate(entity, input)
        // Every issue must say where and which rule, so the parked reason is actionable.
        if (Result.isFailure(result)) for (const issue of result.failure.issues) expect(issue.rule.length * issue.message.length).toBeGreaterThan(0)
      }),
      { numRuns: 500 }
    )
  })
})
