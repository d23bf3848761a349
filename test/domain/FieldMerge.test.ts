import { describe, expect, test } from "bun:test"
import { fieldsForCommerce, propertiesForCrm } from "../../src/domain/FieldMerge.ts"

const base = {
  hs_object_id: "7",
  email: "ada@example.com",
  firstname: "Ada",
  lastname: "Lovelace",
  city: "London",
  address: "1 Square",
  zip: "N1",
  country: "United Kingdom"
}

describe("CRM → shop: send what the CRM changed since the last sync and wins", () => {
  test("a first sync sends every field", () => {
    expect(fieldsForCommerce("user", base, undefined, undefined)).toEqual({
      crmId: "7",
      email: "ada@example.com",
      firstName: "Ada",
      lastName: "Lovelace",
      address: { line1: "1 Square", city: "London", postalCode: "N1", country: "GB" }
    })
  })

  test("an edit of one field sends that field (and the id), not the shop's copy of the others", () => {
    expect(fieldsForCommerce("user", { ...base, firstname: "Augusta" }, base, { email: "changed-in-shop@example.com" })).toEqual({
      crmId: "7",
      firstName: "Augusta"
    })
  })

  test("a field both sides changed goes to its owner: the CRM's first name travels, its e-mail does not", () => {
    const crmNow = { ...base, firstname: "Augusta", email: "crm@example.com" }
    const shopSeen = { firstName: "Shop Ada", email: "shop@example.com" }
    expect(fieldsForCommerce("user", crmNow, base, shopSeen)).toEqual({ crmId: "7", firstName: "Augusta" })
  })

  test("a field cleared in the CRM travels as an explicit null (issue: clears never reached the shop)", () => {
    expect(fieldsForCommerce("user", { ...base, lastname: "" }, base, undefined)).toEqual({ crmId: "7", lastName: null })
    const cleared: Record<string, string | null> = { ...base, firstname: null }
    expect(fieldsForCommerce("user", cleared, base, undefined)).toEqual({ crmId: "7", firstName: null })
  })

  test("a cleared field inside a group sends the group with that field null", () => {
    expect(fieldsForCommerce("user", { ...base, zip: "" }, base, undefined)).toEqual({
      crmId: "7",
      address: { line1: "1 Square", city: "London", postalCode: null, country: "GB" }
    })
  })

  test("a field that was empty at the base and still is sends nothing", () => {
    const { zip: _, ...noZip } = base
    expect(fieldsForCommerce("user", { ...noZip, zip: "" }, noZip, undefined)).toEqual({ crmId: "7" })
  })

  test("a clear the shop's owner wins over does not travel", () => {
    // The shop changed the e-mail and owns it; the CRM clearing it must not erase the shop's.
    expect(fieldsForCommerce("user", { ...base, email: "" }, base, { email: "shop@example.com" })).toEqual({ crmId: "7" })
  })

  test("a nested group travels whole when one of its fields changed", () => {
    expect(fieldsForCommerce("user", { ...base, city: "Paris", country: "France" }, base, undefined)).toEqual({
      crmId: "7",
      address: { line1: "1 Square", city: "Paris", postalCode: "N1", country: "FR" }
    })
  })
})

describe("shop → CRM: write what differs and the shop wins", () => {
  const shop = { id: "u-1", email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", updatedAt: "2024-01-01T00:00:00Z" }

  test("a new record takes every mapped property", () => {
    expect(propertiesForCrm("user", shop, undefined, undefined)).toEqual({
      ecommerce_user_id: "u-1",
      email: "ada@example.com",
      firstname: "Ada",
      lastname: "Lovelace"
    })
  })

  test("nothing differs → nothing to write (the echo of our own sync)", () => {
    expect(propertiesForCrm("user", shop, { ...base, ecommerce_user_id: "u-1" }, base)).toEqual({})
  })

  test("a CRM-owned field edited in HubSpot since the last sync stays; a shop-owned one is overwritten", () => {
    const crmNow = { ...base, ecommerce_user_id: "u-1", firstname: "Edited in HubSpot", email: "edited-in-hubspot@example.com" }
    const fromShop = { ...shop, firstName: "Shop Ada", email: "shop@example.com" }
    expect(propertiesForCrm("user", fromShop, crmNow, base)).toEqual({ email: "shop@example.com" })
  })

  test("a shop change of a CRM-owned field HubSpot left alone is written", () => {
    expect(propertiesForCrm("user", { ...shop, firstName: "Augusta" }, { ...base, ecommerce_user_id: "u-1" }, base)).toEqual({ firstname: "Augusta" })
  })

  test('a cleared value is empty whether HubSpot says "" or the base says null', () => {
    expect(
      propertiesForCrm("user", { ...shop, firstName: "Back" }, { ...base, ecommerce_user_id: "u-1", firstname: "" }, { ...base, firstname: null })
    ).toEqual({ firstname: "Back" })
  })

  test("without a base, a value HubSpot already holds in a CRM-owned field stays; an empty one is filled", () => {
    expect(
      propertiesForCrm("user", { ...shop, firstName: "Shop", lastName: "Filled" }, { email: "ada@example.com", firstname: "HubSpot", lastname: "" }, undefined)
    ).toEqual({
      ecommerce_user_id: "u-1",
      lastname: "Filled"
    })
  })
})
