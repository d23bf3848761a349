// HubSpot's failures come back as the right CrmError reason, with the right retryability.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { Crm } from "../../src/application/ports/Crm.ts"
import type { ContactId } from "../../src/domain/Ids.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { useAdapterSim, adapterLayer, failureWith, recordingBudget, user } from "./AdapterSupport.ts"

const env = useAdapterSim()

const upsert = Effect.flatMap(Crm, (crm) => crm.upsert("contact", [user(1)]))
const read = Effect.flatMap(Crm, (crm) => crm.read("contact", ["1" as ContactId]))

describe("HubSpot faults through the adapter", () => {
  test("5xx is a retryable CrmServerError", async () => {
    env.sim.setFaults({ failNext: 1, serverErrorStatus: 503 })
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason).toMatchObject({ _tag: "CrmServerError", status: 503 })
    expect(error.isRetryable).toBe(true)
  })

  test("423 Locked on a burst of upserts waits at least 2 s", async () => {
    env.sim.setFaults({ lockedUpserts: { max: 0, windowMs: 1000 } })
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason).toMatchObject({ _tag: "CrmUnavailable", status: 423 })
    expect(error.reason._tag === "CrmUnavailable" && error.reason.retryAfterMs).toBeGreaterThanOrEqual(2000)
    expect(error.isRetryable).toBe(true)
  })

  test("477 Migration in progress waits Retry-After", async () => {
    env.sim.setFaults({ migrationNext: 1, retryAfterSeconds: 7 })
    const error = await failureWith(adapterLayer(env.sim))(read)
    expect(error.reason).toMatchObject({ _tag: "CrmUnavailable", status: 477, retryAfterMs: 7000 })
    expect(error.isRetryable).toBe(true)
  })

  test("401 is CrmUnauthorized and never retried", async () => {
    env.sim.setFaults({ unauthorizedNext: 1 })
    const error = await failureWith(adapterLayer(env.sim))(read)
    expect(error.reason).toMatchObject({ _tag: "CrmUnauthorized", status: 401 })
    expect(error.isRetryable).toBe(false)
  })

  test("a connection reset is a retryable CrmNetworkError", async () => {
    env.sim.setFaults({ resetNext: 1 })
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason._tag).toBe("CrmNetworkError")
    expect(error.isRetryable).toBe(true)
  })

  test("a call that never answers times out as a CrmNetworkError", async () => {
    env.sim.setFaults({ hangNext: 1 })
    const started = performance.now()
    const error = await failureWith(adapterLayer(env.sim, { timeoutMs: 200 }))(read)
    expect(error.reason._tag).toBe("CrmNetworkError")
    expect(error.message).toContain("timeout")
    expect(performance.now() - started).toBeLessThan(2000)
  })

  test("a 400 is a permanent CrmRejected with HubSpot's category", async () => {
    const error = await failureWith(adapterLayer(env.sim))(Effect.flatMap(Crm, (crm) => crm.upsert("contact", [{ idProperty: "email", idValue: "a@b.co", properties: {} }])))
    expect(error.reason).toMatchObject({ _tag: "CrmRejected", status: 400, category: "VALIDATION_ERROR" })
    expect(error.isRetryable).toBe(false)
  })
})

describe("429 from HubSpot", () => {
  let small: HubSpotSimulator
  beforeAll(async () => {
    small = await startHubSpotSimulator({ port: 0, burstLimit: 2, burstIntervalMs: 1000 })
  })
  afterAll(() => small.stop())

  test("TEN_SECONDLY_ROLLING: waits at least the interval and pauses the budget", async () => {
    const { log, layer } = recordingBudget()
    const error = await failureWith(adapterLayer(small, {}, layer))(Effect.repeat(read, { times: 3 }))
    expect(error.reason).toMatchObject({ _tag: "CrmRateLimited", policy: "TEN_SECONDLY_ROLLING" })
    expect(error.reason._tag === "CrmRateLimited" && error.reason.retryAfterMs).toBeGreaterThanOrEqual(1000)
    expect(error.isRetryable).toBe(true)
    expect(log.observed.some((o) => o.pauseUntil !== undefined)).toBe(true)
  })
})
