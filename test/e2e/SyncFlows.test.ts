// Both sync flows through `bun start` on real RabbitMQ and FerretDB, with both simulators.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"

const describeE2E = skipAmqp ? (name: string, _body: (url: string) => void) => describeMongo(name, () => {}) : describeMongo

describeE2E("end to end: HubSpot ⇄ crm-sync ⇄ commerce", (mongoUrl) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(mongoUrl)
  }, 60_000)
  afterAll(async () => {
    const code = await stack?.stop()
    expect(code).toBe(0)
  })

  const live = (entity: "user" | "business" | "purchase") => stack.commerce.state()[entity].filter((e) => !e.deleted)
  const hubspotWrites = () =>
    stack.hubspot.requestLog().filter((r) => r.method !== "GET" && !/\/search|\/batch\/read|\/properties/.test(r.path))
  const byCommerceId = (type: "contacts" | "companies" | "orders", property: string, value: string) => {
    const found = stack.hubspot.state.findByValue(type, property, value)
    expect(found).toBeDefined()
    return found!
  }
  const associated = (type: "contacts" | "companies" | "orders", id: string, to: "contacts" | "companies") =>
    [...new Set(stack.hubspot.state.edgesFrom(type, id, to).map((e) => e.toId))]
  const iso = (ms = Date.now()) => new Date(ms).toISOString()

  test("a company with three contacts created in HubSpot appears in the shop, and the shop's ids come back onto HubSpot", async () => {
    const { ui, state } = stack.hubspot
    const company = ui.create("companies", { name: "Acme Tools", domain: "acme-tools.example.com", country: "Germany", city: "Berlin" })
    const contacts = [1, 2, 3].map((n) => ui.create("contacts", { email: `buyer${n}@acme-tools.example.com`, firstname: `Buyer${n}`, lastname: "Acme" }))
    for (const c of contacts) ui.associate("contacts", c.id, "companies", company.id)

    const business = await eventually(() => {
      const found = live("business").find((b) => b.record["crmId"] === company.id)
      expect(found).toBeDefined()
      return found!
    })
    expect(business.record).toMatchObject({ name: "Acme Tools", domain: "acme-tools.example.com", country: "DE", city: "Berlin" })
    await eventually(() => {
      const users = live("user").filter((u) => contacts.some((c) => c.id === u.record["crmId"]))
      expect(users).toHaveLength(3)
      for (const u of users) expect(u.record["businessId"]).toBe(business.id)
    })
    await eventually(() => {
      expect(state.find("companies", company.id)?.properties["ecommerce_business_id"]).toBe(business.id)
      for (const c of contacts) expect(state.find("contacts", c.id)?.properties["ecommerce_user_id"]).toMatch(/^u-/)
    })
    // No ping-pong: once quiet, nobody writes to HubSpot any more.
    await Bun.sleep(1500)
    const writes = () => hubspotWrites().length
    const settled = writes()
    await Bun.sleep(1500)
    expect(writes()).toBe(settled)
    // Each of the 4 records takes its commerce id once; an echo may repeat one write, no more.
    expect(settled).toBeLessThanOrEqual(8)
    expect(await stack.parked()).toEqual([])
  }, 40_000)

  test("a user created in the shop for an existing business becomes a contact of that company; a purchase an order of both", async () => {
    const business = await Effect.runPromise(stack.commerce.createBusiness({ name: "Shop Two SARL", domain: "shop-two.example.fr", country: "FR" }))
    const company = await eventually(() => byCommerceId("companies", "ecommerce_business_id", String(business["id"]))!)
    expect(company.properties).toMatchObject({ name: "Shop Two SARL", country: "France" })
    const user = await Effect.runPromise(
      stack.commerce.createUser({ email: "claire@shop-two.example.fr", firstName: "Claire", lastName: "Dubois", phone: "+33 1 42 68 53 00", businessId: business["id"] })
    )
    const contact = await eventually(() => byCommerceId("contacts", "ecommerce_user_id", String(user["id"]))!)
    expect(contact.properties).toMatchObject({ email: "claire@shop-two.example.fr", phone: "+33142685300" })
    await eventually(() => expect(associated("contacts", contact.id, "companies")).toEqual([company.id]))
    const purchase = await Effect.runPromise(
      stack.commerce.createPurchase({ reference: "#2001", totalMinor: 12_990, currency: "EUR", status: "paid", placedAt: iso(), userId: user["id"], businessId: business["id"] })
    )
    const order = await eventually(() => byCommerceId("orders", "ecommerce_purchase_id", String(purchase["id"]))!)
    expect(order.properties).toMatchObject({ hs_total_price: "129.90", hs_currency_code: "EUR", hs_external_order_id: "#2001", hs_pipeline_stage: "processed" })
    await eventually(() => {
      expect(associated("orders", order.id, "contacts")).toEqual([contact.id])
      expect(associated("orders", order.id, "companies")).toEqual([company.id])
    })
    // The shop learns the HubSpot ids of what it created.
    await eventually(() => expect(stack.commerce.find("purchase", String(purchase["id"]))?.record["crmId"]).toBe(order.id))
  }, 30_000)
})

