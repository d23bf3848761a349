import { describe, expect, test } from "bun:test"
import * as HealthRoutes from "../../src/adapters/http/HealthRoutes.ts"

const check = (name: string, ok: boolean | "throws") => ({
  name,
  check: async () => {
    if (ok === "throws") throw new Error("down")
    return ok
  }
})

describe("health and readiness", () => {
  test("readiness fails while a dependency does not answer; liveness stays up for an outage", async () => {
    const app = HealthRoutes.make([check("store", "throws"), check("bus", true)], [check("store-client", true)])
    const ready = await app.request("/readyz")
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ checks: { store: false, bus: true } })
    expect((await app.request("/healthz")).status).toBe(200)
  })
  test("readiness carries the details it is given (the replica and the partitions it holds)", async () => {
    const app = HealthRoutes.make([check("bus", true)], [], async () => ({ replica: "r-1", partitions: [0, 3, 5] }))
    const ready = await app.request("/readyz")
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: "ready", checks: { bus: true }, replica: "r-1", partitions: [0, 3, 5] })
  })
  test("liveness fails when a client is wedged beyond repair, so the orchestrator restarts the process", async () => {
    const app = HealthRoutes.make([], [check("store-client", false)])
    const live = await app.request("/healthz")
    expect(live.status).toBe(503)
    expect(await live.json()).toMatchObject({ status: "failing", checks: { "store-client": false } })
  })
})
