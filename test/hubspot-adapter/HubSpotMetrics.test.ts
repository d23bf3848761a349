// What the HubSpot client and the local budget record: calls by operation and status, durations,
// tokens by lane.
import { describe, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryMetrics from "../../src/adapters/memory/InMemoryMetrics.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { adapterLayer, useAdapterSim, user } from "./AdapterSupport.ts"

const env = useAdapterSim()
const upsert = Effect.flatMap(Crm, (crm) => crm.upsert("contact", [user(1)]))

describe("HubSpot metrics", () => {
  test("a call is counted by operation and status, timed, and its token counted in its lane; a 503 is counted as 503", async () => {
    const metrics = InMemoryMetrics.make()
    const layer = adapterLayer(env.sim).pipe(Layer.provideMerge(InMemoryMetrics.layer(metrics)))
    await Effect.runPromise(Effect.provide(upsert, layer))
    env.sim.setFaults({ failNext: 1, serverErrorStatus: 503 })
    await Effect.runPromise(Effect.provide(Effect.exit(upsert), layer))
    const total = (labels: Record<string, string>) => Effect.runPromise(metrics.total("crm_calls_total", labels))
    expect(await total({ status: "2xx" })).toBeGreaterThanOrEqual(1)
    expect(await total({ status: "503" })).toBe(1)
    expect(metrics.observations("crm_call_duration_seconds").length).toBe(await total({}))
    expect(await Effect.runPromise(metrics.total("budget_tokens_total", { lane: "live" }))).toBe(await total({}))
  })
})
