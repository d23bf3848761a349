import { describe, expect, test } from "bun:test"
import { apiError, useSimClient } from "./SimClient.ts"

const env = useSimClient({ reset: true })

const createUniqueProperty = (objectType: string, name: string) =>
  env.client.crm.properties.coreApi.create(objectType, {
    name,
    label: name,
    type: "string" as never,
    fieldType: "text" as never,
    groupName: objectType === "contacts" ? "contactinformation" : objectType === "companies" ? "companyinformation" : "orderinformation",
    hasUniqueValue: true
  })

describe("objects basic API", () => {
  test("creates, reads, updates and archives a contact", async () => {
    const created = await env.client.crm.contacts.basicApi.create({ properties: { email: "ada@example.com", firstname: "Ada" }, associations: [] })
    expect(created.id).toMatch(/^\d+$/)
    expect(created.properties["email"]).toBe("ada@example.com")
    expect(created.createdAt).toBeInstanceOf(Date)
    const read = await env.client.crm.contacts.basicApi.getById(created.id, ["phone"])
    expect(read.properties).toMatchObject({ phone: null, hs_object_id: created.id })
    const updated = await env.client.crm.contacts.basicApi.update(created.id, { properties: { lastname: "Lovelace" } })
    expect(updated.properties["lastname"]).toBe("Lovelace")
    await env.client.crm.contacts.basicApi.archive(created.id)
    const gone = await apiError(env.client.crm.contacts.basicApi.getById(created.id))
    expect(gone.code).toBe(404)
    expect(gone.body).toMatchObject({ category: "OBJECT_NOT_FOUND" })
  })

  test("reads a contact by email via idProperty", async () => {
    const created = await env.client.crm.contacts.basicApi.create({ properties: { email: "b@example.com" }, associations: [] })
    const read = await env.client.crm.contacts.basicApi.getById("b@example.com", undefined, undefined, undefined, false, "email")
    expect(read.id).toBe(created.id)
  })

  test("orders work through the generic objects API by name and by objectTypeId", async () => {
    const order = await env.client.crm.objects.basicApi.create("orders", { properties: { hs_order_name: "#1", hs_total_price: "12.5" }, associations: [] })
    const read = await env.client.crm.objects.basicApi.getById("0-123", order.id, ["hs_order_name", "hs_total_price"])
    expect(read.properties).toMatchObject({ hs_order_name: "#1", hs_total_price: "12.5" })
  })

  test("rejects an invalid email with HubSpot's validation error", async () => {
    const err = await apiError(env.client.crm.contacts.basicApi.create({ properties: { email: "nope" }, associations: [] }))
    expect(err.code).toBe(400)
    expect(err.body).toMatchObject({ category: "VALIDATION_ERROR" })
    expect((err.body as { message: string }).message).toContain("INVALID_EMAIL")
  })

  test("rejects a duplicate email with 409 CONFLICT", async () => {
    const first = await env.client.crm.contacts.basicApi.create({ properties: { email: "dup@example.com" }, associations: [] })
    const err = await apiError(env.client.crm.contacts.basicApi.create({ properties: { email: "DUP@example.com" }, associations: [] }))
    expect(err.code).toBe(409)
    expect((err.body as { message: string }).message).toBe(`Contact already exists. Existing ID: ${first.id}`)
  })

  test("lists with paging cursors", async () => {
    for (let i = 0; i < 5; i++) await env.client.crm.companies.basicApi.create({ properties: { name: `C${i}` }, associations: [] })
    const first = await env.client.crm.companies.basicApi.getPage(2)
    expect(first.results.map((c) => c.properties["name"])).toEqual(["C0", "C1"])
    const after = first.paging?.next?.after
    expect(after).toBeDefined()
    const second = await env.client.crm.companies.basicApi.getPage(2, after)
    expect(second.results.map((c) => c.properties["name"])).toEqual(["C2", "C3"])
    const last = await env.client.crm.companies.basicApi.getPage(2, second.paging?.next?.after)
    expect(last.results).toHaveLength(1)
    expect(last.paging).toBeUndefined()
  })
})

describe("properties API", () => {
  test("lists defaults, creates a property, 409 when it exists", async () => {
    const all = await env.client.crm.properties.coreApi.getAll("orders")
    expect(all.results.map((p) => p.name)).toEqual(expect.arrayContaining(["hs_order_name", "hs_currency_code", "hs_total_price", "hs_external_order_id"]))
    const created = await createUniqueProperty("contacts", "external_id")
    expect(created).toMatchObject({ name: "external_id", hasUniqueValue: true })
    const one = await env.client.crm.properties.coreApi.getByName("contacts", "external_id")
    expect(one.hasUniqueValue).toBe(true)
    const err = await apiError(createUniqueProperty("contacts", "external_id"))
    expect(err.code).toBe(409)
  })

  test("creates and reads property groups", async () => {
    const group = await env.client.crm.properties.groupsApi.create("companies", { name: "sync", label: "Sync" })
    expect(group.name).toBe("sync")
    const read = await env.client.crm.properties.groupsApi.getByName("companies", "sync")
    expect(read.label).toBe("Sync")
  })
})

describe("batch API", () => {
  test("creates and reads in batch; 207 for missing ids", async () => {
    const created = await env.client.crm.contacts.batchApi.create({
      inputs: [
        { properties: { email: "x1@example.com" }, associations: [] },
        { properties: { email: "x2@example.com" }, associations: [] }
      ]
    })
    expect(created.results).toHaveLength(2)
    const ids = created.results.map((r) => r.id)
    const read = await env.client.crm.contacts.batchApi.read({
      inputs: [...ids, "999999"].map((id) => ({ id })),
      properties: ["email"],
      propertiesWithHistory: []
    })
    expect(read.results).toHaveLength(2)
    expect("errors" in read && read.errors?.[0]).toMatchObject({ category: "OBJECT_NOT_FOUND", context: { ids: ["999999"] } })
  })

  test("207 with per-item errors for invalid emails and unknown properties", async () => {
    const res = await env.client.crm.contacts.batchApi.create({
      inputs: [
        { properties: { email: "ok@example.com" }, associations: [] },
        { properties: { email: "bad" }, associations: [] },
        { properties: { nope: "x" }, associations: [] }
      ]
    })
    expect(res.results).toHaveLength(1)
    const errors = "errors" in res ? (res.errors ?? []) : []
    expect(errors.map((e) => e.category)).toEqual(["VALIDATION_ERROR", "VALIDATION_ERROR"])
    expect(errors[1]?.message).toContain("PROPERTY_DOESNT_EXIST")
  })

  test("more than 100 inputs is a 400", async () => {
    const inputs = Array.from({ length: 101 }, (_, i) => ({ properties: { name: `c${i}` }, associations: [] }))
    const err = await apiError(env.client.crm.companies.batchApi.create({ inputs }))
    expect(err.code).toBe(400)
    expect(err.body).toMatchObject({ category: "VALIDATION_ERROR" })
  })

  test("upsert by a unique property creates then updates", async () => {
    await createUniqueProperty("companies", "ext_id")
    const first = await env.client.crm.companies.batchApi.upsert({ inputs: [{ id: "A-1", idProperty: "ext_id", properties: { name: "One" } }] })
    expect(first.results[0]).toMatchObject({ _new: true, properties: { ext_id: "A-1", name: "One" } })
    const second = await env.client.crm.companies.batchApi.upsert({ inputs: [{ id: "A-1", idProperty: "ext_id", properties: { name: "Uno" } }] })
    expect(second.results[0]?._new).toBe(false)
    expect(second.results[0]?.id).toBe(first.results[0]?.id ?? "")
  })

  test("upsert on a non-unique property (or email) is a 400", async () => {
    for (const idProperty of ["name", "email"]) {
      const type = idProperty === "email" ? "contacts" : "companies"
      const err = await apiError(env.client.crm.objects.batchApi.upsert(type, { inputs: [{ id: "x@example.com", idProperty, properties: {} }] }))
      expect(err.code).toBe(400)
    }
  })

  test("update by idProperty, duplicate unique value is a per-item error", async () => {
    await createUniqueProperty("orders", "ext_order")
    const a = await env.client.crm.objects.basicApi.create("orders", { properties: { ext_order: "O-1" }, associations: [] })
    await env.client.crm.objects.basicApi.create("orders", { properties: { ext_order: "O-2" }, associations: [] })
    const res = await env.client.crm.objects.batchApi.update("orders", {
      inputs: [
        { id: "O-1", idProperty: "ext_order", properties: { hs_order_name: "first" } },
        { id: "O-2", idProperty: "ext_order", properties: { ext_order: "O-1" } }
      ]
    })
    expect(res.results.map((r) => r.id)).toEqual([a.id])
    expect("errors" in res && res.errors?.[0]?.category).toBe("CONFLICT")
  })

  test("batch archive answers 204 and hides the objects", async () => {
    const c = await env.client.crm.companies.basicApi.create({ properties: { name: "gone" }, associations: [] })
    await env.client.crm.companies.batchApi.archive({ inputs: [{ id: c.id }] })
    expect((await apiError(env.client.crm.companies.basicApi.getById(c.id))).code).toBe(404)
  })
})

describe("merge", () => {
  test("survivor keeps its id and associations; the merged id resolves to the survivor", async () => {
    const a = await env.client.crm.contacts.basicApi.create({ properties: { email: "a@example.com" }, associations: [] })
    const b = await env.client.crm.contacts.basicApi.create({ properties: { email: "b@example.com", phone: "+3312345" }, associations: [] })
    const co = await env.client.crm.companies.basicApi.create({ properties: { name: "Co" }, associations: [] })
    await env.client.crm.associations.v4.basicApi.createDefault("contacts", b.id, "companies", co.id)
    const merged = await env.client.crm.contacts.basicApi.merge({ primaryObjectId: a.id, objectIdToMerge: b.id })
    expect(merged.id).toBe(a.id)
    expect(merged.properties["phone"]).toBe("+3312345")
    const viaOld = await env.client.crm.contacts.basicApi.getById(b.id, undefined, undefined, ["companies"])
    expect(viaOld.id).toBe(a.id)
    expect(viaOld.associations?.["companies"]?.results.map((r) => r.id)).toContain(co.id)
  })
})

describe("inspection endpoints", () => {
  test("state and reset", async () => {
    await env.client.crm.companies.basicApi.create({ properties: { name: "Seen" }, associations: [] })
    const state = (await (await fetch(`${env.sim.url}/__sim/state`)).json()) as { objects: Array<{ properties: Record<string, string> }> }
    expect(state.objects.map((o) => o.properties["name"])).toEqual(["Seen"])
    expect((await fetch(`${env.sim.url}/__sim/reset`, { method: "POST" })).status).toBe(204)
    expect((await env.client.crm.companies.basicApi.getPage(10)).results).toEqual([])
  })
})
