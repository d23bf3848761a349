import { describe, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryMetrics from "../../src/adapters/memory/InMemoryMetrics.ts"
import * as EventLoopLag from "../../src/adapters/metrics/EventLoopLag.ts"

/** Holds the event loop for `ms` without yielding, as a large page mapped in one go would. */
const hold = (ms: number) => {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

describe("EventLoopLag", () => {
  test("a stretch of synchronous work shows as one late tick, a free loop as ticks on time", async () => {
    const metrics = InMemoryMetrics.make()
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(EventLoopLag.layer(10).pipe(Layer.provide(InMemoryMetrics.layer(metrics))))
          yield* Effect.sleep(100)
          const free = metrics.observations("event_loop_lag_seconds").length
          expect(free).toBeGreaterThanOrEqual(3)
          yield* Effect.sync(() => hold(150))
          yield* Effect.sleep(50)
        })
      )
    )
    const lags = metrics.observations("event_loop_lag_seconds")
    // The held 150 ms less the tick's own 10 (and what the tick had waited before the hold).
    expect(Math.max(...lags)).toBeGreaterThanOrEqual(0.1)
    expect(lags.filter((lag) => lag >= 0.1).length).toBe(1)
  })
})
