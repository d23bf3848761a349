import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { apiError, sdkClient } from "./SimClient.ts"

const burstLimit = 5
const burstIntervalMs = 1000
let sim: HubSpotSimulator

beforeAll(async () => {
  sim = await startHubSpotSimulator({ burstLimit, burstIntervalMs, dailyLimit: 8 })
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset())

const call = () => fetch(`${sim.url}/crm/v3/objects/contacts?limit=1`, { headers: { Authorization: "Bearer test-token" } })

describe("rate limits", () => {
  test("rolling burst window: headers count down, then the exact 429 body", async () => {
    for (let sent = 1; sent <= burstLimit; sent++) {
      const res = await call()
      expect(res.status).toBe(200)
      expect(res.headers.get("X-HubSpot-RateLimit-Max")).toBe(String(burstLimit))
      expect(res.headers.get("X-HubSpot-RateLimit-Remaining")).toBe(String(burstLimit - sent))
      expect(res.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")).toBe(String(burstIntervalMs))
      expect(res.headers.get("X-HubSpot-RateLimit-Daily")).toBe("8")
      expect(res.headers.get("X-HubSpot-RateLimit-Daily-Remaining")).toBe(String(8 - sent))
      await res.text()
    }
    const limited = await call()
    expect(limited.status).toBe(429)
    const body = (await limited.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(["correlationId", "errorType", "message", "policyName", "status"])
    expect(body).toMatchObject({
      status: "error",
      message: "You have reached your ten_secondly_rolling limit.",
      errorType: "RATE_LIMIT",
      policyName: "TEN_SECONDLY_ROLLING"
    })
    expect(String(body["correlationId"])).toMatch(/^[0-9a-f-]{36}$/)
    await Bun.sleep(burstIntervalMs + 50)
    expect((await call()).status).toBe(200)
  })

  test("the window rolls: budget frees up as old calls age out, not all at once", async () => {
    for (let i = 0; i < 3; i++) await (await call()).text()
    await Bun.sleep(600)
    for (let i = 0; i < 2; i++) await (await call()).text()
    expect((await call()).status).toBe(429)
    await Bun.sleep(450)
    const res = await call()
    expect(res.status).toBe(200)
    expect(res.headers.get("X-HubSpot-RateLimit-Remaining")).toBe("2")
  })

  test("daily cap answers policy DAILY; the SDK surfaces 429 as ApiException", async () => {
    const client = sdkClient(sim.url)
    for (let i = 0; i < 5; i++) await client.crm.contacts.basicApi.getPage(1)
    await Bun.sleep(burstIntervalMs + 50)
    for (let i = 0; i < 3; i++) await client.crm.contacts.basicApi.getPage(1)
    const raw = await call()
    expect(raw.status).toBe(429)
    expect(await raw.json()).toMatchObject({ message: "You have reached your daily limit.", policyName: "DAILY", errorType: "RATE_LIMIT" })
    const err = await apiError(client.crm.contacts.basicApi.getPage(1))
    expect(err.code).toBe(429)
    expect(err.headers["x-hubspot-ratelimit-daily-remaining"]).toBe("0")
  })

  test("the day's reset (POST /__sim/day/reset) lets calls through again and restarts the daily count", async () => {
    sim.reset()
    for (let i = 0; i < 5; i++) await (await call()).text()
    await Bun.sleep(burstIntervalMs + 50)
    for (let i = 0; i < 3; i++) await (await call()).text()
    expect((await call()).status).toBe(429)
    expect((await fetch(`${sim.url}/__sim/day/reset`, { method: "POST" })).status).toBe(204)
    const after = await call()
    expect(after.status).toBe(200)
    expect(after.headers.get("X-HubSpot-RateLimit-Daily-Remaining")).toBe("7")
    sim.reset()
  })

  test("api usage endpoint reports the calls counted", async () => {
    for (let i = 0; i < 2; i++) await (await call()).text()
    const res = await fetch(`${sim.url}/account-info/v3/api-usage/daily/private-apps`, { headers: { Authorization: "Bearer test-token" } })
    const body = (await res.json()) as { results: Array<Record<string, unknown>> }
    expect(body.results[0]).toMatchObject({ name: "private-apps-api-calls-daily", usageLimit: 8, currentUsage: 3, fetchStatus: "SUCCESS" })
  })

  test("wrong token: 401 INVALID_AUTHENTICATION, not counted", async () => {
    const err = await apiError(sdkClient(sim.url, "wrong").crm.contacts.basicApi.getPage(1))
    expect(err.code).toBe(401)
    expect(err.body).toMatchObject({ category: "INVALID_AUTHENTICATION" })
    const res = await call()
    expect(res.headers.get("X-HubSpot-RateLimit-Remaining")).toBe(String(burstLimit - 1))
  })
})
