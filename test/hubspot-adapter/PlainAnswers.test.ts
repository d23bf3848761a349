// The adapter's plain reads answer what the SDK's deserialised calls answer (the fields the
// adapter uses), and fail with the very error the SDK throws, 429 included.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Client } from "@hubspot/api-client"
import { listPage, readAssociations, readBatch } from "../../src/adapters/hubspot/PlainAnswers.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"

let sim: HubSpotSimulator
let client: Client
const ids: { companies: Array<string>; contacts: Array<string> } = { companies: [], contacts: [] }
const properties = ["name", "email", "firstname", "hs_lastmodifieddate"]

beforeAll(async () => {
  sim = await startHubSpotSimulator({ port: 0 })
  client = new Client({ accessToken: "test-token", basePath: sim.url, numberOfApiCallRetries: 0 })
  for (let i = 0; i < 3; i++) ids.companies.push((await client.crm.companies.basicApi.create({ properties: { name: `Co ${i}` }, associations: [] })).id)
  for (let i = 0; i < 5; i++)
    ids.contacts.push((await client.crm.contacts.basicApi.create({ properties: { email: `c${i}@example.com`, firstname: `C${i}` }, associations: [] })).id)
  // Contacts 0–3 linked (two to company 0); contact 4 and company 2 without any association.
  for (const [contact, company] of [
    [0, 0],
    [1, 0],
    [2, 1],
    [3, 1]
  ] as const)
    await client.crm.associations.v4.basicApi.createDefault("contacts", ids.contacts[contact] ?? "", "companies", ids.companies[company] ?? "")
})
afterAll(() => sim.stop())

/** What the adapter takes from an object: its id, properties and update time. */
const used = (o: { readonly id: string; readonly properties: unknown; readonly updatedAt?: Date | undefined }) => ({
  id: o.id,
  properties: o.properties,
  updatedAt: o.updatedAt?.getTime()
})
/** An SDK error without what differs between two answers (their date, correlation id, calls remaining). */
const comparable = (e: unknown) => {
  const { date: _d, ...all } = (e as { headers: Record<string, string> }).headers
  const headers = Object.fromEntries(Object.entries(all).filter(([name]) => !name.endsWith("-remaining")))
  const body = (e as { body: unknown }).body
  const { correlationId: _c, ...rest } = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : { correlationId: undefined }
  return { class: (e as object).constructor, ...(e as object), headers, body: typeof body === "object" && body !== null ? rest : body }
}
const thrown = async (f: () => Promise<unknown>) => {
  try {
    await f()
  } catch (error) {
    return error
  }
  throw new Error("no error")
}

describe("plain HubSpot answers", () => {
  test("a list page: the SDK's objects and cursor", async () => {
    const sdk = await client.crm.objects.basicApi.getPageWithHttpInfo("contacts", 3, undefined, properties)
    const plain = await listPage(client, "contacts", 3, undefined, properties)
    expect(plain.data.results.map(used)).toEqual(sdk.data.results.map(used))
    expect(plain.data.paging?.next?.after).toBe(sdk.data.paging?.next?.after as string)
    expect(plain.data.paging?.next?.after).toBeDefined()
    expect(plain.headers).toEqual(expect.objectContaining({ "content-type": expect.any(String) }))
    const last = await listPage(client, "contacts", 3, plain.data.paging?.next?.after, properties)
    expect(last.data.results.map(used)).toEqual(
      (await client.crm.objects.basicApi.getPage("contacts", 3, sdk.data.paging?.next?.after, properties)).results.map(used)
    )
    expect(last.data.paging?.next?.after).toBeUndefined()
  })

  test("a batch read with an unknown id (207): the SDK's objects found", async () => {
    const wanted = [...ids.contacts.slice(0, 3), "999999"]
    const sdk = await client.crm.objects.batchApi.read("contacts", { inputs: wanted.map((id) => ({ id })), properties, propertiesWithHistory: [] })
    const plain = await readBatch(client, "contacts", wanted, properties)
    expect(plain.data.results.map(used)).toEqual(sdk.results.map(used))
    expect(plain.data.results).toHaveLength(3)
  })

  test("associations, some ids without any (207): the SDK's ids as strings", async () => {
    const sdk = await client.crm.associations.v4.batchApi.getPage("contacts", "companies", { inputs: ids.contacts.map((id) => ({ id })) })
    const plain = await readAssociations(client, "contacts", "companies", ids.contacts)
    expect(plain.data.results).toEqual(sdk.results.map((r) => ({ from: String(r._from.id), to: r.to.map((t) => String(t.toObjectId)) })))
    expect(plain.data.results).toHaveLength(4)
    const byCompany = await readAssociations(client, "companies", "contacts", ids.companies)
    expect(byCompany.data.results.find((r) => r.from === ids.companies[0])?.to.sort()).toEqual([ids.contacts[0], ids.contacts[1]].sort() as Array<string>)
  })

  test("errors are the SDK's own: 401, 477 with Retry-After, 5xx", async () => {
    for (const faults of [{ unauthorizedNext: 1 }, { migrationNext: 1, retryAfterSeconds: 7 }, { failNext: 1, serverErrorStatus: 503 }]) {
      sim.setFaults(faults)
      const sdk = await thrown(() => client.crm.objects.basicApi.getPageWithHttpInfo("contacts", 3, undefined, properties))
      sim.setFaults(faults)
      const plain = await thrown(() => listPage(client, "contacts", 3, undefined, properties))
      expect(comparable(plain)).toEqual(comparable(sdk))
      expect((plain as { code: number }).code).toBeGreaterThanOrEqual(400)
    }
  })

  test("a 429 is the SDK's own", async () => {
    const small = await startHubSpotSimulator({ port: 0, burstLimit: 1, burstIntervalMs: 60_000 })
    try {
      const c = new Client({ accessToken: "test-token", basePath: small.url, numberOfApiCallRetries: 0 })
      await c.crm.objects.basicApi.getPage("contacts", 1)
      const sdk = await thrown(() => c.crm.associations.v4.batchApi.getPage("contacts", "companies", { inputs: [{ id: "1" }] }))
      const plain = await thrown(() => readAssociations(c, "contacts", "companies", ["1"]))
      expect((plain as { code: number }).code).toBe(429)
      expect(comparable(plain)).toEqual(comparable(sdk))
    } finally {
      await small.stop()
    }
  })
})
