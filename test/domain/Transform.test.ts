import { describe, expect, test } from "bun:test"
import * as T from "../../src/domain/Transform.ts"

const money = T.money({ commerce: "currency", crm: "hs_currency_code" })

describe("money: minor units ↔ HubSpot decimal strings, per currency", () => {
  test.each([
    [1234, "EUR", "12.34"],
    [5, "EUR", "0.05"],
    [-250, "USD", "-2.50"],
    [1234, "JPY", "1234"],
    [1234, "BHD", "1.234"]
  ] as const)("%d %s ↔ %s", (minor, currency, decimal) => {
    expect(money.toCrm(minor, { currency })).toBe(decimal)
    expect(money.toCommerce(decimal, { hs_currency_code: currency })).toBe(minor)
  })
  test("a shorter HubSpot fraction is padded; a non-number is NaN for validation to reject", () => {
    expect(money.toCommerce("12.3", { hs_currency_code: "EUR" })).toBe(1230)
    expect(money.toCommerce("abc", { hs_currency_code: "EUR" })).toBeNaN()
  })
})

test.each([
  ["+49 30 901820", "+4930901820"],
  ["+1 (415) 555-2671", "+14155552671"],
  ["not a phone", "not a phone"]
])("phone %s → %s", (input, e164) => expect(T.phone.toCrm(input, {})).toBe(e164))

test.each([
  ["DE", "Germany"],
  ["US", "United States of America"],
  ["GB", "United Kingdom"]
])("country %s ↔ %s", (iso, name) => {
  expect(T.country.toCrm(iso, {})).toBe(name)
  expect(T.country.toCommerce(name, {})).toBe(iso)
})

test("a timestamp out of Date's range is passed on for validation, never thrown", () => {
  expect(T.epochMillis.toCommerce("99999999999999999", {})).toBe("99999999999999999")
})

test("dates: ISO-8601 ↔ epoch milliseconds, before 1970 too", () => {
  expect(T.epochMillis.toCrm("2024-01-02T03:04:05.000Z", {})).toBe("1704164645000")
  expect(T.epochMillis.toCommerce("1704164645000", {})).toBe("2024-01-02T03:04:05.000Z")
  expect(T.epochMillis.toCommerce("-86400000", {})).toBe("1969-12-31T00:00:00.000Z")
})

test("enums map one to one and pass unknown values through for validation", () => {
  const stage = T.enumeration({ prospect: "lead", customer: "customer" })
  expect(stage.toCrm("prospect", {})).toBe("lead")
  expect(stage.toCommerce("lead", {})).toBe("prospect")
  expect(stage.toCommerce("evangelist", {})).toBe("evangelist")
})

test("locales: HubSpot's lower case back to canonical BCP 47", () => {
  expect(T.locale.toCrm("pt-BR", {})).toBe("pt-br")
  expect(T.locale.toCommerce("pt-br", {})).toBe("pt-BR")
})
