import { describe, expect, test } from "bun:test"
import { Effect, Tracer } from "effect"
import { laneKey, type Total, totalsTracer } from "../../src/adapters/metrics/SpanProfile.ts"

const profiled = <A>(effect: Effect.Effect<A>) => {
  const totals = new Map<string, Total>()
  return Effect.runPromise(effect.pipe(Effect.provideService(Tracer.Tracer, totalsTracer(totals)))).then(() => totals)
}

describe("SpanProfile", () => {
  test("a span inside work annotated with a lane counts under its name and under the lane's key", async () => {
    const totals = await profiled(
      Effect.all([
        Effect.sleep(5).pipe(Effect.withSpan("store.op"), Effect.withSpan("flow"), Effect.annotateSpans("lane", "live")),
        Effect.sleep(1).pipe(Effect.withSpan("store.op"), Effect.annotateSpans("lane", "backfill")),
        Effect.sleep(1).pipe(Effect.withSpan("store.op"))
      ])
    )
    expect(totals.get("store.op")?.count).toBe(3)
    expect(totals.get(laneKey("store.op", "live"))?.count).toBe(1)
    expect(totals.get(laneKey("flow", "live"))?.count).toBe(1)
    expect(totals.get(laneKey("store.op", "backfill"))?.count).toBe(1)
    expect(totals.get(laneKey("store.op", "live"))?.slowest[0]).toBeGreaterThanOrEqual(4)
  })

  test("keeps the slowest durations only, up to its limit", async () => {
    const totals = await profiled(
      Effect.forEach(
        Array.from({ length: 60 }, (_, i) => i),
        () => Effect.void.pipe(Effect.withSpan("quick"))
      ).pipe(Effect.asVoid)
    )
    const quick = totals.get("quick")
    expect(quick?.count).toBe(60)
    expect(quick?.slowest.length).toBe(50)
  })
})
