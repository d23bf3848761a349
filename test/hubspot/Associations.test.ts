import { describe, expect, test } from "bun:test"
import { useSimClient } from "./SimClient.ts"

const env = useSimClient()

const contact = async (email: string) => (await env.client.crm.contacts.basicApi.create({ properties: { email }, associations: [] })).id
const company = async (name: string) => (await env.client.crm.companies.basicApi.create({ properties: { name }, associations: [] })).id

describe("associations v4", () => {
  test("associate default, batch read both ways, archive", async () => {
    const [c1, c2, co] = [await contact("a1@example.com"), await contact("a2@example.com"), await company("Acme")]
    const made = await env.client.crm.associations.v4.batchApi.createDefault("contacts", "companies", {
      inputs: [
        { _from: { id: c1 }, to: { id: co } },
        { _from: { id: c2 }, to: { id: co } }
      ]
    })
    expect(made.results[0]?.associationSpec).toMatchObject({ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 279 })
    const fromCompany = await env.client.crm.associations.v4.batchApi.getPage("companies", "contacts", { inputs: [{ id: co }] })
    expect(fromCompany.results[0]?.to.map((t) => String(t.toObjectId)).sort()).toEqual([c1, c2].sort())
    expect(fromCompany.results[0]?.to[0]?.associationTypes[0]).toMatchObject({ typeId: 280, category: "HUBSPOT_DEFINED" })
    await env.client.crm.associations.v4.batchApi.archive("contacts", "companies", { inputs: [{ _from: { id: c1 }, to: [{ id: co }] }] })
    const after = await env.client.crm.associations.v4.batchApi.getPage("contacts", "companies", { inputs: [{ id: c1 }, { id: c2 }] })
    expect(after.results.map((r) => r._from.id)).toEqual([c2])
    expect("errors" in after && after.errors?.[0]?.subCategory).toBe("crm.associations.NO_ASSOCIATIONS_FOUND")
  })

  test("batch create with explicit primary type, PUT default for orders, read via v3 associations", async () => {
    const [c, co] = [await contact("p@example.com"), await company("Prim")]
    const created = await env.client.crm.associations.v4.batchApi.create("contacts", "companies", {
      inputs: [{ _from: { id: c }, to: { id: co }, types: [{ associationCategory: "HUBSPOT_DEFINED" as never, associationTypeId: 1 }] }]
    })
    expect(created.results[0]).toMatchObject({ fromObjectTypeId: "0-1", toObjectTypeId: "0-2", labels: ["Primary"] })
    const order = await env.client.crm.objects.basicApi.create("orders", { properties: { hs_order_name: "#9" }, associations: [] })
    await env.client.crm.associations.v4.basicApi.createDefault("orders", order.id, "contacts", c)
    const read = await env.client.crm.contacts.basicApi.getById(c, undefined, undefined, ["companies", "orders"])
    expect(read.associations?.["companies"]?.results).toEqual([{ id: co, type: "contact_to_company" }])
    expect(read.associations?.["orders"]?.results).toEqual([{ id: order.id, type: "contact_to_order" }])
  })

  test("associations given at creation", async () => {
    const co = await company("AtCreate")
    const c = await env.client.crm.contacts.basicApi.create({
      properties: { email: "ac@example.com" },
      associations: [{ to: { id: co }, types: [{ associationCategory: "HUBSPOT_DEFINED" as never, associationTypeId: 279 }] }]
    })
    const page = await env.client.crm.associations.v4.basicApi.getPage("contacts", c.id, "companies")
    expect(page.results.map((r) => String(r.toObjectId))).toEqual([co])
  })
})
