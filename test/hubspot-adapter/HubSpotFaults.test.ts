// HubSpot's failures come back as the right CrmError reason, with the right retryability.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { Crm } from "../../src/application/ports/Crm.ts"
import type { ContactId } from "../../src/domain/Ids.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { adapterLayer, failureWith, recordingBudget, useAdapterSim, user } from "./AdapterSupport.ts"

const env = useAdapterSim()

const upsert = Effect.flatMap(Crm, (crm) => crm.upsert("contact", [user(1)]))
const read = Effect.flatMap(Crm, (crm) => crm.read("contact", ["1" as ContactId]))

describe("HubSpot faults through the adapter", () => {
  test("5xx is a retryable CrmTransient", async () => {
    env.sim.setFaults({ failNext: 1, serverErrorStatus: 503 })
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason).toMatchObject({ _tag: "CrmTransient", status: 503 })
    expect(error.isRetryable).toBe(true)
  })

  test("423 Locked on a burst of upserts waits at least 2 s", async () => {
    env.sim.setFaults({ lockedUpserts: { max: 0, windowMs: 1000 } })
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason).toMatchObject({ _tag: "CrmTransient", status: 423 })
    expect(error.reason._tag === "CrmTransient" && error.reason.retryAfterMs).toBeGreaterThanOrEqual(2000)
    expect(error.isRetryable).toBe(true)
  })

  test("477 Migration in progress waits Retry-After", async () => {
    env.sim.setFaults({ migrationNext: 1, retryAfterSeconds: 7 })
    const error = await failureWith(adapterLayer(env.sim))(read)
    expect(error.reason).toMatchObject({ _tag: "CrmTransient", status: 477, retryAfterMs: 7000 })
    expect(error.isRetryable).toBe(true)
  })

  test("401 is CrmUnauthorized and never retried", async () => {
    env.sim.setFaults({ unauthorizedNext: 1 })
    const error = await failureWith(adapterLayer(env.sim))(read)
    expect(error.reason._tag).toBe("CrmUnauthorized")
    expect(error.message).toContain("401")
    expect(error.isRetryable).toBe(false)
  })

  test("a connection reset is a retryable CrmTransient without a status", async () => {
    env.sim.setFaults({ resetNext: 1 })
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason._tag).toBe("CrmTransient")
    expect("status" in error.reason).toBe(false)
    expect(error.isRetryable).toBe(true)
  })

  test("a call that never answers times out as a CrmTransient", async () => {
    env.sim.setFaults({ hangNext: 1 })
    const started = performance.now()
    const error = await failureWith(adapterLayer(env.sim, { timeoutMs: 200 }))(read)
    expect(error.reason._tag).toBe("CrmTransient")
    expect(error.message).toContain("timeout")
    expect(performance.now() - started).toBeLessThan(2000)
  })

  test("the timeout aborts the request: the hung connection is closed, not left open", async () => {
    const before = env.sim.openHangs()
    env.sim.setFaults({ hangNext: 1 })
    const error = await failureWith(adapterLayer(env.sim, { timeoutMs: 200 }))(read)
    expect(error.message).toContain("timeout")
    const deadline = Date.now() + 2000
    while (env.sim.openHangs() > before && Date.now() < deadline) await Bun.sleep(20)
    expect(env.sim.openHangs()).toBe(before)
  })

  test("a 400 is a permanent CrmRejected with HubSpot's category in its message", async () => {
    // Without the setup, the commerce id property is not unique: HubSpot refuses the upsert.
    env.sim.reset()
    const error = await failureWith(adapterLayer(env.sim))(upsert)
    expect(error.reason).toMatchObject({ _tag: "CrmRejected", status: 400, message: expect.stringContaining("VALIDATION_ERROR") })
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
    expect(error.reason._tag).toBe("CrmThrottled")
    expect(error.reason._tag === "CrmThrottled" && error.reason.retryAfterMs).toBeGreaterThanOrEqual(1000)
    expect(error.isRetryable).toBe(true)
    expect(log.observed.some((o) => o.pauseUntil !== undefined)).toBe(true)
  })
})
