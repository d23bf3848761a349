import { describe, expect, test } from "bun:test"
import { createHash, createHmac } from "node:crypto"
import { Effect } from "effect"
import * as WebhookRoutes from "../../src/adapters/http/WebhookRoutes.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { StoreError, StoreUnavailable } from "../../src/application/ports/StoreError.ts"
import type { QuarantinedPayload, WebhookInbox } from "../../src/application/ports/WebhookInbox.ts"

const SECRET = "shhh"
const URL_ = "http://localhost/webhooks/hubspot"
const defaults: WebhookRoutes.Options = { clientSecret: SECRET, publicUrl: undefined, legacyVersions: [], maxBodyBytes: 256 * 1024, storeTimeoutMs: 500 }

const event = (n: number, extra: Record<string, unknown> = {}) => ({
  eventId: 100 + n,
  subscriptionId: 7,
  portalId: 42,
  appId: 9,
  occurredAt: 1_700_000_000_000 + n,
  subscriptionType: "contact.propertyChange",
  attemptNumber: 0,
  objectId: 500 + n,
  propertyName: "email",
  propertyValue: `c${n}@example.com`,
  changeSource: "CRM_UI",
  ...extra
})

// Computed here, independently of the code under test, from HubSpot's documented recipe.
const v3 = (body: string, uri = URL_, timestamp = Date.now(), secret = SECRET) => ({
  "content-type": "application/json",
  "x-hubspot-signature-v3": createHmac("sha256", secret).update(`POST${uri}${body}${timestamp}`).digest("base64"),
  "x-hubspot-request-timestamp": String(timestamp)
})

const setup = async (options: Partial<WebhookRoutes.Options> = {}, store?: WebhookInbox["Service"]) => {
  const memory = await Effect.runPromise(InMemoryWebhookInbox.make())
  const app = WebhookRoutes.make(store ?? memory, { ...defaults, ...options })
  const post = (body: string, headers: Record<string, string>) => app.request("/webhooks/hubspot", { method: "POST", body, headers })
  const pending = () => Effect.runPromise(memory.backlog).then((b) => b.pending)
  return { app, post, pending, memory }
}

describe("signed deliveries", () => {
  test("a signed batch is stored as pending before the 200; a redelivery is counted as duplicates", async () => {
    const { post, pending } = await setup()
    const body = JSON.stringify([event(1), event(2), event(3)])
    const first = await post(body, v3(body))
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ stored: 3, duplicates: 0 })
    expect(await pending()).toBe(3)
    const again = await post(body, v3(body))
    expect(await again.json()).toMatchObject({ stored: 0, duplicates: 3 })
    expect(await pending()).toBe(3)
  })

  test("the same eventId with another property or time is a different event", async () => {
    const { post, pending } = await setup()
    const body = JSON.stringify([event(1), event(1, { propertyName: "firstname" }), event(1, { occurredAt: 1 })])
    await post(body, v3(body))
    expect(await pending()).toBe(3)
  })

  test("behind a proxy the configured public URL is what the signature covers", async () => {
    const { post, pending } = await setup({ publicUrl: "https://sync.shop.example" })
    const body = JSON.stringify([event(1)])
    expect((await post(body, v3(body, URL_))).status).toBe(401)
    expect((await post(body, v3(body, "https://sync.shop.example/webhooks/hubspot"))).status).toBe(200)
    expect(await pending()).toBe(1)
  })

  test("subscriptions the sync does not follow are acknowledged and ignored; orders come as object.* 0-123", async () => {
    const { post, pending } = await setup()
    const body = JSON.stringify([event(1, { subscriptionType: "deal.creation" }), event(2, { subscriptionType: "object.creation", objectTypeId: "0-123" })])
    const response = await post(body, v3(body))
    expect(await response.json()).toMatchObject({ stored: 1, ignored: 1 })
    expect(await pending()).toBe(1)
  })
})

describe("bad input never stores unsigned data and never answers 500", () => {
  test.each([
    ["no signature", () => ({ "content-type": "application/json" })],
    ["wrong secret", (body: string) => v3(body, URL_, Date.now(), "other")],
    ["stale timestamp", (body: string) => v3(body, URL_, Date.now() - 6 * 60 * 1000)],
    ["garbage signature", () => ({ "x-hubspot-signature-v3": "%%%", "x-hubspot-request-timestamp": String(Date.now()) })],
    [
      "v1 when only v3 is accepted",
      (body: string) => ({
        "x-hubspot-signature": createHash("sha256")
          .update(SECRET + body)
          .digest("hex"),
        "x-hubspot-signature-version": "v1"
      })
    ]
  ])("%s → 401, nothing stored", async (_, headers) => {
    const { post, pending } = await setup()
    const body = JSON.stringify([event(1)])
    expect((await post(body, headers(body))).status).toBe(401)
    expect(await pending()).toBe(0)
  })

  test("v1 and v2 are accepted when configured", async () => {
    const { post, pending } = await setup({ legacyVersions: ["v1", "v2"] })
    const b1 = JSON.stringify([event(1)])
    const b2 = JSON.stringify([event(2)])
    expect(
      (
        await post(b1, {
          "x-hubspot-signature": createHash("sha256")
            .update(SECRET + b1)
            .digest("hex"),
          "x-hubspot-signature-version": "v1"
        })
      ).status
    ).toBe(200)
    expect(
      (await post(b2, { "x-hubspot-signature": createHash("sha256").update(`${SECRET}POST${URL_}${b2}`).digest("hex"), "x-hubspot-signature-version": "v2" }))
        .status
    ).toBe(200)
    expect(await pending()).toBe(2)
  })

  test.each([
    ["truncated JSON", '[{"eventId": 1, "subscr'],
    ["not an array", '{"eventId": 1}'],
    ["wrong field types", JSON.stringify([{ ...event(1), occurredAt: "yesterday" }])],
    ["more than 100 events", JSON.stringify(Array.from({ length: 101 }, (_, i) => event(i)))],
    ["operators and __proto__", '[{"eventId":{"$gt":1},"__proto__":{"polluted":true}}]']
  ])("signed but %s → quarantined and 200 (HubSpot retries every 4xx)", async (_, body) => {
    const { post, pending } = await setup()
    const response = await post(body, v3(body))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ quarantined: true })
    expect(await pending()).toBe(0)
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })

  test("one malformed event in a signed batch is quarantined alone, with its reason; its neighbours are stored (200)", async () => {
    const memory = await Effect.runPromise(InMemoryWebhookInbox.make())
    const quarantined: Array<QuarantinedPayload> = []
    const stores: Array<number> = []
    const recording: WebhookInbox["Service"] = {
      ...memory,
      store: (changes, at) =>
        Effect.andThen(
          Effect.sync(() => stores.push(changes.length)),
          memory.store(changes, at)
        ),
      quarantine: (payloads) => Effect.sync(() => void quarantined.push(...payloads))
    }
    const { post, pending } = await setup({}, recording)
    const broken = { ...event(2), occurredAt: "yesterday" }
    const body = JSON.stringify([event(1), broken, event(3), { $where: "1" }])
    const response = await post(body, v3(body))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ stored: 2, duplicates: 0, ignored: 0, quarantined: 2 })
    expect(await Effect.runPromise(memory.backlog)).toMatchObject({ pending: 2 })
    expect(await pending()).toBe(0) // the setup's own inbox was not used
    expect(stores).toEqual([2]) // one store write for the request
    expect(quarantined.map((q) => JSON.parse(q.body))).toEqual([broken, { $where: "1" }])
    expect(quarantined.map((q) => q.reason)).toEqual([expect.stringContaining("event 1"), expect.stringContaining("event 3")])
    expect(quarantined[0]!.reason).toContain("occurredAt")
  })

  test("a body over the limit → 413 before anything is read into the store", async () => {
    const { post, pending } = await setup({ maxBodyBytes: 1024 })
    const body = JSON.stringify(Array.from({ length: 40 }, (_, i) => event(i)))
    expect((await post(body, { ...v3(body), "content-length": String(body.length) })).status).toBe(413)
    expect(await pending()).toBe(0)
  })
})

describe("storage failures answer 503 fast, never 2xx without a durable write", () => {
  const failing = (behaviour: "fail" | "hang") =>
    Effect.runPromise(InMemoryWebhookInbox.make()).then((store) => ({
      ...store,
      store: () => (behaviour === "fail" ? Effect.fail(new StoreError({ reason: new StoreUnavailable({ message: "connection reset" }) })) : Effect.never)
    }))

  test.each(["fail", "hang"] as const)("store %s → 503 within the timeout", async (behaviour) => {
    const { post } = await setup({ storeTimeoutMs: 300 }, await failing(behaviour))
    const body = JSON.stringify([event(1)])
    const started = performance.now()
    const response = await post(body, v3(body))
    expect(response.status).toBe(503)
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
