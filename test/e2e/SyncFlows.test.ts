// Both sync flows through `bun start` on real RabbitMQ and FerretDB, with both simulators.
import { afterAll, beforeAll, expect, test } from "bun:test"
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
    const writes = () => stack.hubspot.requestLog().filter((r) => r.method !== "GET" && !r.path.includes("/search") && !r.path.includes("/batch/read")).length
    const settled = writes()
    await Bun.sleep(1500)
    expect(writes()).toBe(settled)
    // Each of the 4 records takes its commerce id once; an echo may repeat one write, no more.
    expect(settled).toBeLessThanOrEqual(8)
    expect(await stack.parked()).toEqual([])
  }, 40_000)
})
