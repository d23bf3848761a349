// Who made a change, decoded from HubSpot's changeSource/sourceId into the domain's vendor-neutral origin.
import { describe, expect, test } from "bun:test"
import { toCrmChange } from "../../src/adapters/http/HubSpotWebhookEvent.ts"

const base = {
  eventId: 1,
  subscriptionId: 2,
  portalId: 3,
  appId: 1_234_567,
  occurredAt: 10,
  subscriptionType: "contact.propertyChange",
  objectId: 42,
  propertyName: "firstname",
  propertyValue: "A"
}

describe("toCrmChange: origin", () => {
  test("a write by the app the webhook is delivered to is ours", () => {
    expect(toCrmChange({ ...base, changeSource: "INTEGRATION", sourceId: "1234567" })?.origin).toBe("us")
    expect(toCrmChange({ ...base, changeSource: "API", sourceId: "appId:1234567" })?.origin).toBe("us")
  })
  test("a person, or another app, is someone else", () => {
    expect(toCrmChange({ ...base, changeSource: "CRM_UI", sourceId: "userId:99" })?.origin).toBe("others")
    expect(toCrmChange({ ...base, changeSource: "INTEGRATION", sourceId: "7654321" })?.origin).toBe("others")
  })
  test("without a source the origin is unknown (the write ledger decides)", () => {
    expect(toCrmChange(base)).not.toHaveProperty("origin")
    const { appId: _, ...noApp } = base
    expect(toCrmChange({ ...noApp, changeSource: "INTEGRATION", sourceId: "1234567" })).not.toHaveProperty("origin")
  })
})
