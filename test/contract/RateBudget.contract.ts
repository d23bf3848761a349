// The RateBudget contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import * as BudgetPolicy from "../../src/application/BudgetPolicy.ts"
import type { LaneName } from "../../src/application/Lane.ts"
import { type Grant, RateBudget } from "../../src/application/ports/RateBudget.ts"

export const budgetConfig: BudgetPolicy.BudgetConfig = { burst: 20, intervalMs: 10_000, daily: 1000, backfillShare: 0.5, timeZone: "Europe/Paris" }
const plan = BudgetPolicy.plan(budgetConfig)
/** The start of a slot, at noon in Paris (far from the daily reset). */
export const slotStart = (n = 0) => (Math.ceil(Date.UTC(2024, 5, 3, 10) / plan.slotMs) + n) * plan.slotMs

export const takeMany = (budget: RateBudget["Service"], lane: LaneName, count: number, now: number) =>
  Effect.all(Array.from({ length: count }, () => budget.tryTake(lane, 1, now)), { concurrency: "unbounded" })
export const granted = (grants: ReadonlyArray<Grant>) => grants.filter((g) => g._tag === "Granted").length

export const rateBudgetContract = (name: string, makeLayer: (config: BudgetPolicy.BudgetConfig) => Layer.Layer<RateBudget, unknown>): void => {
  const run = <A>(f: (budget: RateBudget["Service"]) => Effect.Effect<A, unknown>, config = budgetConfig) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return yield* f(yield* RateBudget)
      }).pipe(Effect.provide(makeLayer(config)))
    )

  describe(`RateBudget contract: ${name}`, () => {
    test("the plan keeps any rolling interval within the burst", () => {
      expect(plan).toEqual({ slots: 9, slotMs: 1112, capacity: 2, backfillCapacity: 1 })
      expect((plan.slots + 1) * plan.capacity).toBeLessThanOrEqual(budgetConfig.burst)
    })

    test("2 × 50 concurrent takers get no more than a slot's capacity, and wait for the next slot", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          const [x, y] = yield* Effect.all([takeMany(b, "live", 50, slotStart()), takeMany(b, "live", 50, slotStart() + 10)], { concurrency: 2 })
          return { count: granted([...x, ...y]), wait: x.find((g) => g._tag === "Wait"), next: yield* b.tryTake("live", 1, slotStart(1)) }
        })
      )
      expect(out.count).toBe(plan.capacity)
      expect(out.wait).toEqual({ _tag: "Wait", retryAfterMs: plan.slotMs })
      expect(out.next._tag).toBe("Granted")
    })

    test("no rolling 10 s window ever sees more than the burst", async () => {
      const times = await run((b) =>
        Effect.gen(function* () {
          const grantedAt: Array<number> = []
          for (let t = slotStart(); t < slotStart() + 25_000; t += 250) {
            const grants = yield* takeMany(b, t % 1000 < 500 ? "live" : "backfill", 4, t)
            for (let i = 0; i < granted(grants); i++) grantedAt.push(t)
          }
          return grantedAt
        })
      )
      const worst = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + budgetConfig.intervalMs).length))
      expect(worst).toBeLessThanOrEqual(budgetConfig.burst)
      expect(times.length).toBeGreaterThan(30)
    }, 30_000)

    test("the backfill uses only its share of a slot; live still gets the rest", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          const backfill = granted(yield* takeMany(b, "backfill", 10, slotStart()))
          const live = granted(yield* takeMany(b, "live", 10, slotStart()))
          return { backfill, live }
        })
      )
      expect(out).toEqual({ backfill: plan.backfillCapacity, live: plan.capacity - plan.backfillCapacity })
    })

    test("the daily cap is exhausted until local midnight in the account's zone", async () => {
      const reset = Date.UTC(2024, 5, 3, 22) // midnight in Paris (UTC+2 in June)
      const out = await run(
        (b) =>
          Effect.gen(function* () {
            const day = yield* Effect.forEach([0, 1, 2, 3, 4], (n) => b.tryTake("live", 1, slotStart(n)))
            const spent = yield* b.tryTake("backfill", 1, slotStart(5))
            const after = yield* b.tryTake("backfill", 1, reset + 1)
            return { day: granted(day), spent, after }
          }),
        { ...budgetConfig, daily: 5 }
      )
      expect(out).toEqual({ day: 5, spent: { _tag: "DailyExhausted", resetAt: reset }, after: { _tag: "Granted" } })
    })

    test("HubSpot's DAILY 429 and a lower daily-remaining header take precedence", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          yield* b.observe({ dailyRemaining: 2 }, slotStart())
          const left = yield* Effect.forEach([1, 2, 3], (n) => b.tryTake("live", 1, slotStart(n)))
          yield* b.observe({ dailyRemaining: 500 }, slotStart(4)) // higher than we know: ignored
          const stillSpent = yield* b.tryTake("live", 1, slotStart(5))
          return { left: left.map((g) => g._tag), stillSpent: stillSpent._tag }
        })
      )
      expect(out).toEqual({ left: ["Granted", "Granted", "DailyExhausted"], stillSpent: "DailyExhausted" })
      const exhausted = await run((b) => Effect.andThen(b.observe({ dailyExhausted: true }, slotStart()), b.tryTake("live", 1, slotStart(1))))
      expect(exhausted._tag).toBe("DailyExhausted")
    })

    test("pauseUntil blocks both lanes until then", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          yield* b.observe({ pauseUntil: slotStart() + 3000 }, slotStart())
          yield* b.observe({ pauseUntil: slotStart() + 1000 }, slotStart()) // an earlier pause does not shorten it
          const paused = [yield* b.tryTake("live", 1, slotStart() + 100), yield* b.tryTake("backfill", 1, slotStart() + 100)]
          return { paused, after: yield* b.tryTake("live", 1, slotStart() + 3000) }
        })
      )
      expect(out.paused).toEqual([
        { _tag: "Wait", retryAfterMs: 2900 },
        { _tag: "Wait", retryAfterMs: 2900 }
      ])
      expect(out.after._tag).toBe("Granted")
    })
  })
}
