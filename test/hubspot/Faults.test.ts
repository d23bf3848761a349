import { describe, expect, test } from "bun:test"
import { apiError, useSimClient } from "./SimClient.ts"

const env = useSimClient({ reset: true })

const page = () => env.client.crm.companies.basicApi.getPage(1)

describe("faults", () => {
  test("next N calls fail with 5xx, then recover", async () => {
    env.sim.setFaults({ failNext: 2, serverErrorStatus: 502 })
    expect((await apiError(page())).code).toBe(502)
    expect((await apiError(page())).code).toBe(502)
    expect((await page()).results).toEqual([])
  })

  test("seeded error rate is reproducible", async () => {
    const run = async () => {
      env.sim.reset()
      env.sim.setFaults({ errorRate: 0.5, seed: 42 })
      const out: boolean[] = []
      for (let i = 0; i < 20; i++)
        out.push(
          await page().then(
            () => true,
            () => false
          )
        )
      return out
    }
    const first = await run()
    expect(first).toEqual(await run())
    expect(first.filter((ok) => !ok).length).toBeGreaterThan(2)
  })

  test("connection reset closes the socket", async () => {
    env.sim.setFaults({ resetNext: 1 })
    await expect(page()).rejects.toThrow()
    expect(env.sim.requestLog().at(-1)?.status).toBe("reset")
  })

  test("hang never answers", async () => {
    env.sim.setFaults({ hangNext: 1 })
    const res = fetch(`${env.sim.url}/crm/v3/objects/companies`, { headers: { Authorization: "Bearer test-token" }, signal: AbortSignal.timeout(150) })
    await expect(res).rejects.toThrow()
  })

  test("added latency", async () => {
    env.sim.setFaults({ latencyMs: 120 })
    const start = performance.now()
    await page()
    expect(performance.now() - start).toBeGreaterThanOrEqual(110)
  })

  test("477 with Retry-After, set through the admin endpoint", async () => {
    await fetch(`${env.sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ migrationNext: 1, retryAfterSeconds: 7 }) })
    const err = await apiError(page())
    expect(err.code).toBe(477)
    expect(err.headers["retry-after"]).toBe("7")
  })

  test("423 Locked on bursts of upserts", async () => {
    await env.client.crm.properties.coreApi.create("contacts", {
      name: "ext",
      label: "ext",
      type: "string" as never,
      fieldType: "text" as never,
      groupName: "contactinformation",
      hasUniqueValue: true
    })
    env.sim.setFaults({ lockedUpserts: { max: 2, windowMs: 2000 } })
    const upsert = () => env.client.crm.contacts.batchApi.upsert({ inputs: [{ id: "e1", idProperty: "ext", properties: {} }] })
    await upsert()
    await upsert()
    const err = await apiError(upsert())
    expect(err.code).toBe(423)
    expect(err.body).toMatchObject({ category: "LOCKED" })
  })

  test("per-item rejections produce 207 errors", async () => {
    env.sim.setFaults({ rejectItems: [{ property: "name", value: "poison" }] })
    const res = await env.client.crm.companies.batchApi.create({
      inputs: [
        { properties: { name: "fine" }, associations: [] },
        { properties: { name: "poison" }, associations: [] }
      ]
    })
    expect(res.results).toHaveLength(1)
    expect("errors" in res && res.errors?.[0]?.category).toBe("VALIDATION_ERROR")
    env.sim.setFaults({ rejectItems: [], rejectWhen: (t, p) => (t === "companies" && p["name"] === "fn" ? "nope" : undefined) })
    expect((await apiError(env.client.crm.companies.basicApi.create({ properties: { name: "fn" }, associations: [] }))).code).toBe(400)
  })

  test("401 on demand, and the request log", async () => {
    env.sim.setFaults({ unauthorizedNext: 1 })
    expect((await apiError(page())).code).toBe(401)
    await page()
    const log = await (await fetch(`${env.sim.url}/__sim/requests`)).json()
    expect(log).toMatchObject([{ method: "GET", path: "/crm/v3/objects/companies", status: 401 }, { status: 200 }])
  })
})
