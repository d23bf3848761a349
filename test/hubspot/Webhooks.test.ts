import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { createHash, createHmac } from "node:crypto"
import { type HubSpotSimulator, type SimulatorOptions, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { sdkClient } from "./SimClient.ts"

interface Received {
  body: string
  headers: Headers
  events: Array<Record<string, unknown>>
}

const secret = "shh-client-secret"
const received: Received[] = []
let failNext = 0
let receiver: ReturnType<typeof Bun.serve>
let receiverUrl = ""

beforeAll(() => {
  receiver = Bun.serve({
    port: 0,
    async fetch(req) {
      const body = await req.text()
      received.push({ body, headers: req.headers, events: JSON.parse(body) })
      if (failNext > 0) {
        failNext--
        return new Response("nope", { status: 503 })
      }
      return new Response(null, { status: 204 })
    }
  })
  receiverUrl = `http://127.0.0.1:${receiver.port}/hubspot/webhooks?x=1`
})
afterAll(() => receiver.stop(true))

let sim: HubSpotSimulator | undefined
afterEach(async () => {
  await sim?.stop()
  received.length = 0
  failNext = 0
})

const start = async (webhook: Partial<NonNullable<SimulatorOptions["webhook"]>> = {}) => {
  sim = await startHubSpotSimulator({ webhook: { url: receiverUrl, clientSecret: secret, retryDelaysMs: [10, 10, 10], ...webhook } })
  return { sim, client: sdkClient(sim.url) }
}

const allEvents = () => received.flatMap((r) => r.events)

describe("webhooks", () => {
  test("v3 signature matches an independent HMAC over method + uri + body + timestamp", async () => {
    const { sim, client } = await start()
    await client.crm.contacts.basicApi.create({ properties: { email: "w@example.com" }, associations: [] })
    await sim.flushWebhooks()
    const first = received[0]
    expect(first).toBeDefined()
    const timestamp = first?.headers.get("X-HubSpot-Request-Timestamp") ?? ""
    expect(Math.abs(Date.now() - Number(timestamp))).toBeLessThan(5000)
    const expected = createHmac("sha256", secret).update(`POST${receiverUrl}${first?.body}${timestamp}`).digest("base64")
    expect(first?.headers.get("X-HubSpot-Signature-v3")).toBe(expected)
  })

  test("v1 and v2 signatures", async () => {
    for (const version of ["v1", "v2"] as const) {
      const { sim } = await start({ signatureVersion: version })
      sim.ui.create("companies", { name: "Sig" })
      await sim.flushWebhooks()
      const r = received.at(-1)
      const source = version === "v1" ? `${secret}${r?.body}` : `${secret}POST${receiverUrl}${r?.body}`
      expect(r?.headers.get("X-HubSpot-Signature-Version")).toBe(version)
      expect(r?.headers.get("X-HubSpot-Signature")).toBe(createHash("sha256").update(source).digest("hex"))
      await sim.stop()
    }
  })

  test("API writes: creation + propertyChange per property, deletion; orders as object.* with 0-123", async () => {
    const { sim, client } = await start()
    const c = await client.crm.contacts.basicApi.create({ properties: { email: "e@example.com", firstname: "E" }, associations: [] })
    await client.crm.contacts.basicApi.update(c.id, { properties: { firstname: "F", lastname: "" } })
    await client.crm.contacts.basicApi.archive(c.id)
    const o = await client.crm.objects.basicApi.create("orders", { properties: { hs_order_name: "#1" }, associations: [] })
    await sim.flushWebhooks()
    const events = allEvents()
    const summary = events
      .filter((e) => e["objectId"] === Number(c.id))
      .map((e) => [e["subscriptionType"], e["propertyName"] ?? null, e["propertyValue"] ?? null])
    expect(summary).toEqual([
      ["contact.creation", null, null],
      ["contact.propertyChange", "email", "e@example.com"],
      ["contact.propertyChange", "firstname", "E"],
      ["contact.propertyChange", "firstname", "F"],
      ["contact.deletion", null, null]
    ])
    const orderEvent = events.find((e) => e["objectId"] === Number(o.id))
    expect(orderEvent).toMatchObject({ subscriptionType: "object.creation", objectTypeId: "0-123", changeSource: "INTEGRATION", attemptNumber: 0 })
    for (const e of events)
      expect(Object.keys(e)).toEqual(expect.arrayContaining(["eventId", "subscriptionId", "portalId", "appId", "occurredAt", "attemptNumber", "changeSource"]))
  })

  test("UI edits carry changeSource CRM_UI; merges emit merge + deletion; associations emit associationChange", async () => {
    const { sim } = await start()
    const a = sim.ui.create("contacts", { email: "a@example.com" })
    const b = sim.ui.create("contacts", { email: "b@example.com" })
    const co = sim.ui.create("companies", { name: "Co" })
    sim.ui.associate("contacts", a.id, "companies", co.id)
    sim.ui.merge("contacts", a.id, b.id)
    await sim.flushWebhooks()
    const events = allEvents()
    expect(events.every((e) => e["changeSource"] === "CRM_UI")).toBe(true)
    expect(events.find((e) => e["subscriptionType"] === "contact.merge")).toMatchObject({
      objectId: Number(a.id),
      primaryObjectId: Number(a.id),
      mergedObjectIds: [Number(b.id)]
    })
    expect(events.find((e) => e["subscriptionType"] === "contact.deletion")).toMatchObject({ objectId: Number(b.id) })
    expect(events.find((e) => e["subscriptionType"] === "contact.associationChange")).toMatchObject({
      associationType: "CONTACT_TO_COMPANY",
      fromObjectId: Number(a.id),
      toObjectId: Number(co.id),
      associationRemoved: false,
      isPrimaryAssociation: false
    })
    expect(events.find((e) => e["subscriptionType"] === "company.associationChange")).toMatchObject({ associationType: "COMPANY_TO_CONTACT" })
  })

  test("failed deliveries are retried with attemptNumber incremented", async () => {
    const { sim } = await start()
    failNext = 2
    sim.ui.create("companies", { name: "Retry" })
    await sim.flushWebhooks()
    expect(received.map((r) => r.events[0]?.["attemptNumber"])).toEqual([0, 1, 2])
    expect(new Set(received.map((r) => r.events[0]?.["eventId"])).size).toBe(1)
    expect(sim.webhooks?.attempts.map((a) => a.outcome)).toEqual([503, 503, 204])
  })

  test("gives up after the last retry; slow answers count as failures", async () => {
    const { sim } = await start({ retryDelaysMs: [5], timeoutMs: 50 })
    const slow = Bun.serve({
      port: 0,
      fetch: async () => {
        await Bun.sleep(200)
        return new Response(null)
      }
    })
    await sim.stop()
    const slowSim = await startHubSpotSimulator({ webhook: { url: `http://127.0.0.1:${slow.port}/`, clientSecret: secret, retryDelaysMs: [5], timeoutMs: 50 } })
    slowSim.ui.create("companies", { name: "Slow" })
    await slowSim.flushWebhooks()
    expect(slowSim.webhooks?.attempts.map((a) => a.outcome)).toEqual(["timeout", "timeout"])
    expect(slowSim.webhooks?.abandoned).toHaveLength(1)
    await slowSim.stop()
    slow.stop(true)
  })

  test("batches of at most 100 events and at most maxInFlight concurrent requests", async () => {
    let inFlight = 0
    let peak = 0
    const batches: number[] = []
    const slow = Bun.serve({
      port: 0,
      async fetch(req) {
        inFlight++
        peak = Math.max(peak, inFlight)
        batches.push(((await req.json()) as unknown[]).length)
        await Bun.sleep(20)
        inFlight--
        return new Response(null, { status: 200 })
      }
    })
    sim = await startHubSpotSimulator({ webhook: { url: `http://127.0.0.1:${slow.port}/`, clientSecret: secret, maxInFlight: 3 } })
    for (let i = 0; i < 250; i++) sim.ui.create("companies", { name: `n${i}` })
    await sim.flushWebhooks()
    slow.stop(true)
    expect(Math.max(...batches)).toBeLessThanOrEqual(100)
    expect(batches.reduce((a, b) => a + b, 0)).toBe(500)
    expect(peak).toBeLessThanOrEqual(3)
  })

  test("duplicates and reordering on demand", async () => {
    const { sim } = await start({ duplicates: true, reorder: true, batchSize: 1 })
    for (let i = 0; i < 5; i++) sim.ui.create("companies", { name: `d${i}` })
    await sim.flushWebhooks()
    const ids = allEvents().map((e) => `${e["eventId"]}`)
    expect(ids).toHaveLength(20)
    expect(new Set(ids).size).toBe(10)
    const sorted = [...ids].sort()
    expect(ids).not.toEqual(sorted)
  })
})
