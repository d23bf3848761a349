// Batches as HubSpot shapes them: ≤ 100 inputs a call, 207 per-item errors matched back to
// their input, orders through the generic objects API.
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { Crm, type CrmError, type ItemOutcome } from "../../src/application/ports/Crm.ts"
import type { CompanyId, ContactId, OrderId } from "../../src/domain/Ids.ts"
import { adapterLayer, callsTo, runWith, useAdapterSim, user } from "./AdapterSupport.ts"

const env = useAdapterSim()

const run = <A>(effect: Effect.Effect<A, CrmError, Crm>) => runWith(adapterLayer(env.sim))(effect)
const idOf = <Id>(o: ItemOutcome<Id> | undefined): Id => {
  if (o?._tag !== "Applied") throw new Error(`not applied: ${JSON.stringify(o)}`)
  return o.id
}

/** Runs `effect` while every HubSpot call takes 300 ms: what it returned and how long it took. */
const at300ms = async <A>(effect: Effect.Effect<A, CrmError, Crm>) => {
  env.sim.setFaults({ latencyMs: 300 })
  const started = Date.now()
  try {
    return { value: await run(effect), tookMs: Date.now() - started }
  } finally {
    env.sim.setFaults({ latencyMs: 0 })
  }
}

describe("HubSpot batches", () => {
  test("207 per-item errors land on the input they belong to", async () => {
    env.sim.setFaults({ rejectWhen: (_t, p) => (p["firstname"] === "poison" ? "poisoned by the test" : undefined) })
    const inputs = [user("a"), user("b", { firstname: "poison" }), user("c"), user("d", { firstname: "poison" }), user("e")]
    const outcomes = await run(Effect.flatMap(Crm, (crm) => crm.upsert("contact", inputs)))
    expect(outcomes.map((o) => o._tag)).toEqual(["Applied", "Rejected", "Applied", "Rejected", "Applied"])
    expect(outcomes[1]).toMatchObject({ _tag: "Rejected", retryable: false, message: "VALIDATION_ERROR: poisoned by the test" })
    const records = await run(Effect.flatMap(Crm, (crm) => crm.read("contact", [idOf(outcomes[0]), idOf(outcomes[2]), idOf(outcomes[4])])))
    const byId = new Map(records.map((r) => [r.id, r.properties["ecommerce_user_id"]]))
    expect([0, 2, 4].map((i) => byId.get(idOf(outcomes[i])))).toEqual(["u-a", "u-c", "u-e"])
  })

  test("a read asks for objects and their associations side by side: one round trip of latency, not two", async () => {
    const contact = env.sim.ui.create("contacts", { email: "side@example.com" })
    const company = env.sim.ui.create("companies", { name: "Side Inc" })
    env.sim.ui.associate("contacts", contact.id, "companies", company.id)
    const {
      value: [record],
      tookMs
    } = await at300ms(Effect.flatMap(Crm, (crm) => crm.read("contact", [contact.id as ContactId])))
    expect(String(record?.companyIds)).toBe(company.id)
    expect(tookMs).toBeLessThan(550)
  })

  test("an order's contact and company associations are read side by side with the order: one round trip, not two", async () => {
    const contact = env.sim.ui.create("contacts", { email: "order-side@example.com" })
    const company = env.sim.ui.create("companies", { name: "Order Side Inc" })
    const order = env.sim.ui.create("orders", { hs_order_name: "side" })
    env.sim.ui.associate("orders", order.id, "contacts", contact.id)
    env.sim.ui.associate("orders", order.id, "companies", company.id)
    const {
      value: [record],
      tookMs
    } = await at300ms(Effect.flatMap(Crm, (crm) => crm.read("order", [order.id as OrderId])))
    expect([String(record?.contactIds), String(record?.companyIds)]).toEqual([contact.id, company.id])
    expect(tookMs).toBeLessThan(550)
  })

  test("a read of 250 ids sends its three calls of 100 side by side: one round trip of latency", async () => {
    const ids = (
      await run(
        Effect.flatMap(Crm, (crm) =>
          crm.upsert(
            "contact",
            Array.from({ length: 250 }, (_, i) => user(`wide${i}`))
          )
        )
      )
    ).map(idOf)
    const { value: records, tookMs } = await at300ms(Effect.flatMap(Crm, (crm) => crm.read("contact", ids)))
    expect(records.length).toBe(250)
    expect(tookMs).toBeLessThan(550)
  })

  test("a merged-away id reads as its survivor, with the survivor's associations", async () => {
    const survivor = env.sim.ui.create("contacts", { email: "stays@example.com" })
    const merged = env.sim.ui.create("contacts", { email: "goes@example.com" })
    const company = env.sim.ui.create("companies", { name: "Merged Inc" })
    env.sim.ui.associate("contacts", survivor.id, "companies", company.id)
    env.sim.ui.merge("contacts", survivor.id, merged.id)
    const records = await run(Effect.flatMap(Crm, (crm) => crm.read("contact", [merged.id as ContactId])))
    expect(records.map((r) => `${r.id} → ${String(r.companyIds)}`)).toEqual([`${survivor.id} → ${company.id}`])
  })

  test("n inputs become ceil(n/100) upsert, update and read calls", async () => {
    const inputs = Array.from({ length: 250 }, (_, i) => user(`bulk${i}`))
    const ids = (await run(Effect.flatMap(Crm, (crm) => crm.upsert("contact", inputs)))).map(idOf)
    expect(callsTo(env.sim, /\/contacts\/batch\/upsert$/)).toBe(3)
    const updated = await run(
      Effect.flatMap(Crm, (crm) =>
        crm.update(
          "contact",
          ids.map((id) => ({ id, properties: { lastname: "Bulk" } }))
        )
      )
    )
    expect(updated.every((o) => o._tag === "Applied")).toBe(true)
    expect(callsTo(env.sim, /\/contacts\/batch\/update$/)).toBe(3)
    const records = await run(Effect.flatMap(Crm, (crm) => crm.read("contact", ids)))
    expect(records).toHaveLength(250)
    expect(callsTo(env.sim, /\/objects\/contacts\/batch\/read$/)).toBe(3)
    expect(callsTo(env.sim, /\/associations\/contacts\/companies\/batch\/read$/)).toBe(1)
  })

  test("update: an unknown id is rejected as OBJECT_NOT_FOUND, in place", async () => {
    const [id] = (await run(Effect.flatMap(Crm, (crm) => crm.upsert("contact", [user("x")])))).map(idOf)
    const outcomes = await run(
      Effect.flatMap(Crm, (crm) =>
        crm.update("contact", [
          { id: "77777777" as ContactId, properties: { lastname: "No" } },
          { id: id!, properties: { lastname: "Yes" } }
        ])
      )
    )
    expect(outcomes[0]).toMatchObject({ _tag: "Rejected", retryable: false, message: expect.stringContaining("OBJECT_NOT_FOUND") })
    expect(outcomes[1]).toMatchObject({ _tag: "Applied", id, created: false })
  })

  test("orders: upsert, associate with a contact and a company, read back", async () => {
    const order = await run(
      Effect.gen(function* () {
        const crm = yield* Crm
        const contactId = idOf((yield* crm.upsert("contact", [user("buyer")]))[0])
        const companyId = idOf((yield* crm.upsert("company", [{ commerceId: "b-1", properties: { name: "Acme" } }]))[0])
        const orderId = idOf(
          (yield* crm.upsert("order", [{ commerceId: "p-1", properties: { hs_order_name: "#1", hs_currency_code: "EUR", hs_total_price: "12.5" } }]))[0]
        )
        yield* crm.associate([
          { fromType: "order", fromId: orderId, toType: "contact", toId: contactId },
          { fromType: "order", fromId: orderId, toType: "company", toId: companyId }
        ])
        const [order] = yield* crm.read("order", [orderId as OrderId])
        return { order, contactId, companyId: companyId as CompanyId }
      })
    )
    expect(order.order?.properties).toMatchObject({ hs_order_name: "#1", hs_total_price: "12.5", ecommerce_purchase_id: "p-1" })
    expect(order.order?.contactIds).toEqual([order.contactId])
    expect(order.order?.companyIds).toEqual([order.companyId])
    expect(callsTo(env.sim, /\/objects\/orders\/batch\/upsert$/)).toBe(1)
  })

  test("an order's links to its contact and its company are made side by side: one round trip", async () => {
    const contact = env.sim.ui.create("contacts", { email: "linked-side@example.com" })
    const company = env.sim.ui.create("companies", { name: "Linked Side Inc" })
    const order = env.sim.ui.create("orders", { hs_order_name: "linked-side" })
    const { tookMs } = await at300ms(
      Effect.flatMap(Crm, (crm) =>
        crm.associate([
          { fromType: "order", fromId: order.id, toType: "contact", toId: contact.id },
          { fromType: "order", fromId: order.id, toType: "company", toId: company.id }
        ])
      )
    )
    const [read] = await run(Effect.flatMap(Crm, (crm) => crm.read("order", [order.id as OrderId])))
    expect([String(read?.contactIds), String(read?.companyIds)]).toEqual([contact.id, company.id])
    expect(tookMs).toBeLessThan(550)
  })

  test("associating with a record that does not exist is a permanent rejection", async () => {
    const [id] = (await run(Effect.flatMap(Crm, (crm) => crm.upsert("contact", [user("lonely")])))).map(idOf)
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.provide(
          Effect.flatMap(Crm, (crm) => crm.associate([{ fromType: "contact", fromId: id!, toType: "company", toId: "424242" }])),
          adapterLayer(env.sim)
        )
      )
    )
    expect(error.reason).toMatchObject({ _tag: "CrmRejected", message: expect.stringContaining("OBJECT_NOT_FOUND") })
    expect(error.isRetryable).toBe(false)
  })
})
