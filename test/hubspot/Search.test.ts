import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { apiError, sdkClient } from "./SimClient.ts"

let sim: HubSpotSimulator
let client: ReturnType<typeof sdkClient>
const ids: string[] = []

beforeAll(async () => {
  sim = await startHubSpotSimulator({ searchPerSecond: 1000 })
  client = sdkClient(sim.url)
  for (let i = 0; i < 12; i++) {
    const c = await client.crm.contacts.basicApi.create({
      properties: { email: `u${i}@example.com`, firstname: i % 2 === 0 ? "Even" : "Odd" },
      associations: []
    })
    ids.push(c.id)
  }
})
afterAll(() => sim.stop())

const search = (body: Record<string, unknown>) => client.crm.contacts.searchApi.doSearch(body as never)

describe("search", () => {
  test("EQ filter, total, after paging", async () => {
    const page1 = await search({
      filterGroups: [{ filters: [{ propertyName: "firstname", operator: "EQ", value: "even" }] }],
      limit: 4,
      properties: ["firstname"]
    })
    expect(page1.total).toBe(6)
    expect(page1.results).toHaveLength(4)
    expect(page1.paging?.next?.after).toBe("4")
    const page2 = await search({ filterGroups: [{ filters: [{ propertyName: "firstname", operator: "EQ", value: "Even" }] }], limit: 4, after: "4" })
    expect(page2.results).toHaveLength(2)
    expect(page2.paging).toBeUndefined()
  })

  test("hs_object_id ranges, IN, sorts descending, HAS_PROPERTY", async () => {
    const [a, b, c] = [ids[2] ?? "", ids[5] ?? "", ids[7] ?? ""]
    const between = await search({
      filterGroups: [{ filters: [{ propertyName: "hs_object_id", operator: "BETWEEN", value: a, highValue: b }] }],
      sorts: [{ propertyName: "hs_object_id", direction: "DESCENDING" }],
      limit: 10
    })
    expect(between.results.map((r) => r.id)).toEqual([5, 4, 3, 2].map((i) => ids[i] ?? ""))
    const gt = await search({ filterGroups: [{ filters: [{ propertyName: "hs_object_id", operator: "GT", value: c }] }], limit: 100 })
    expect(gt.total).toBe(4)
    const inIds = await search({ filterGroups: [{ filters: [{ propertyName: "hs_object_id", operator: "IN", values: [a, c] }] }], limit: 10 })
    expect(inIds.results.map((r) => r.id)).toEqual([a, c])
    const noPhone = await search({ filterGroups: [{ filters: [{ propertyName: "phone", operator: "NOT_HAS_PROPERTY" }] }], limit: 1 })
    expect(noPhone.total).toBe(12)
  })

  test("an id range sorted by id (the backfill's paging) answers as the general path does", async () => {
    const byId = [{ propertyName: "hs_object_id", direction: "ASCENDING" }]
    const queries = [
      [{ propertyName: "hs_object_id", operator: "GTE", value: ids[3] }],
      [
        { propertyName: "hs_object_id", operator: "GT", value: ids[3] },
        { propertyName: "hs_object_id", operator: "LTE", value: ids[9] }
      ],
      [{ propertyName: "hs_object_id", operator: "LT", value: ids[4] }],
      []
    ]
    for (const filters of queries) {
      for (const page of [
        { limit: 3, after: "0" },
        { limit: 3, after: "3" },
        { limit: 200, after: "0" }
      ]) {
        const fast = await search({ filterGroups: filters.length === 0 ? [] : [{ filters }], sorts: byId, properties: ["email"], ...page })
        // Two equal filter groups (OR-ed) take the general path: filter and sort every object.
        const general = await search({ filterGroups: [{ filters }, { filters }], sorts: byId, properties: ["email"], ...page })
        expect(fast.results.map((r) => [r.id, r.properties["email"]])).toEqual(general.results.map((r) => [r.id, r.properties["email"]]))
        expect(fast.total).toBe(general.total)
        expect(fast.paging?.next?.after).toBe(general.paging?.next?.after)
      }
    }
    const gte = await search({ filterGroups: [{ filters: queries[0] }], sorts: byId, limit: 200 })
    expect(gte.results.map((r) => r.id)).toEqual(ids.slice(3))
  })

  test("hs_lastmodifieddate windows, OR of filter groups", async () => {
    const since = Date.now() - 60_000
    const recent = await search({ filterGroups: [{ filters: [{ propertyName: "hs_lastmodifieddate", operator: "GTE", value: String(since) }] }], limit: 1 })
    expect(recent.total).toBe(12)
    const future = await search({
      filterGroups: [{ filters: [{ propertyName: "hs_lastmodifieddate", operator: "GT", value: new Date(Date.now() + 60_000).toISOString() }] }],
      limit: 1
    })
    expect(future.total).toBe(0)
    const either = await search({
      filterGroups: [
        { filters: [{ propertyName: "email", operator: "EQ", value: "u1@example.com" }] },
        { filters: [{ propertyName: "email", operator: "EQ", value: "u2@example.com" }] }
      ],
      limit: 10
    })
    expect(either.total).toBe(2)
  })

  test("limit above 200 and after+limit above 10 000 are 400s", async () => {
    expect((await apiError(search({ limit: 201 }))).code).toBe(400)
    const deep = await apiError(search({ limit: 100, after: "9950" }))
    expect(deep.code).toBe(400)
    expect(deep.body).toMatchObject({ category: "VALIDATION_ERROR" })
  })
})

describe("search rate limit", () => {
  test("5 per second, separate from the burst budget, no rate-limit headers", async () => {
    const limited = await startHubSpotSimulator({ burstLimit: 2 })
    try {
      const statuses: number[] = []
      let headers: Headers | undefined
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${limited.url}/crm/v3/objects/contacts/search`, {
          method: "POST",
          headers: { Authorization: "Bearer test-token", "Content-Type": "application/json" },
          body: "{}"
        })
        statuses.push(res.status)
        headers = res.headers
        if (res.status === 429) expect(await res.json()).toMatchObject({ errorType: "RATE_LIMIT", policyName: "SECONDLY" })
        else await res.text()
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
      expect(headers?.get("X-HubSpot-RateLimit-Max")).toBeNull()
      expect(headers?.get("X-HubSpot-RateLimit-Remaining")).toBeNull()
    } finally {
      await limited.stop()
    }
  })
})
