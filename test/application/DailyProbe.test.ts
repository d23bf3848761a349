// The daily cap when our idea of midnight is wrong (a wrong HUBSPOT_TIME_ZONE, a skewed clock):
// the budget learns of HubSpot's reset from what HubSpot says, at most one probe per interval,
// instead of waiting for its own midnight. The probe itself is the caller's (the HubSpot adapter).
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as InMemoryMetrics from "../../src/adapters/memory/InMemoryMetrics.ts"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import type { BudgetConfig } from "../../src/application/BudgetPolicy.ts"
import { LaneShare } from "../../src/application/Lane.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"
import { RateBudget } from "../../src/application/ports/RateBudget.ts"

const config: BudgetConfig = {
  burst: 1_000,
  intervalMs: 1_000,
  daily: 1_000,
  backfillShare: 0.5,
  maxBackfillShare: 0.8,
  timeZone: "UTC",
  backfillDailyReserve: 0,
  dailyProbeMs: 30_000
}
/** 06:00 UTC: our midnight is 18 h away. */
const morning = Date.UTC(2026, 10, 30, 6)

const outcome = (budget: LocalBudget.LocalBudget["Service"], lane: "live" | "backfill") =>
  budget.take(lane, 1).pipe(
    Effect.as("granted" as const),
    Effect.catch((e) => Effect.succeed(e.reason._tag === "DailyBudgetSpent" ? { probeAt: e.reason.probeAt, resetAt: e.reason.resetAt } : e.reason._tag))
  )

const withBudget = <A>(f: (budget: LocalBudget.LocalBudget["Service"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* TestClock.setTime(morning)
      return yield* f(yield* LocalBudget.LocalBudget)
    }).pipe(
      Effect.provide(LocalBudget.layer(config).pipe(Layer.provide(Layer.merge(InMemoryRateBudget.layer(config), InMemoryMetrics.layer())))),
      Effect.provide(TestClock.layer())
    )
  )

test("HubSpot's DAILY at 06:00 rests calls until the next probe, not our midnight; a probe showing a fallen count restarts the day", async () => {
  const out = await withBudget((budget) =>
    Effect.gen(function* () {
      const before = yield* outcome(budget, "live")
      yield* budget.observe({ dailyRemaining: 10 }) // 990 of HubSpot's day spent
      yield* budget.observe({ dailyExhausted: true })
      const spent = yield* outcome(budget, "live")
      const firstProbe = yield* budget.probeDue
      const tooSoon = yield* budget.probeDue
      yield* TestClock.adjust(30_000)
      const laterProbe = yield* budget.probeDue
      // The probe's answer: HubSpot counts 3 calls today, its day was reset (our midnight is not near).
      yield* budget.observe({ dailyRemaining: 997 })
      const after = yield* outcome(budget, "backfill")
      return { before, spent, firstProbe, tooSoon, laterProbe, after }
    })
  )
  expect(out.before).toBe("granted")
  expect(out.spent).toEqual({ probeAt: morning, resetAt: Date.UTC(2026, 11, 1) })
  expect([out.firstProbe, out.tooSoon, out.laterProbe]).toEqual([true, false, true])
  expect(out.after).toBe("granted")
})

test("a probe whose count is as high as before is no reset: the day stays spent until the next probe", async () => {
  const out = await withBudget((budget) =>
    Effect.gen(function* () {
      yield* outcome(budget, "live")
      yield* budget.observe({ dailyRemaining: 5 })
      yield* budget.observe({ dailyExhausted: true })
      expect(yield* budget.probeDue).toBe(true)
      yield* budget.observe({ dailyRemaining: 0 })
      return yield* outcome(budget, "live")
    })
  )
  expect(out).toEqual({ probeAt: morning + 30_000, resetAt: Date.UTC(2026, 11, 1) })
})

test("a CRM cap above ours (HUBSPOT_DAILY_LIMIT set too low) still shows the reset: more left than our whole cap", async () => {
  const out = await withBudget((budget) =>
    Effect.gen(function* () {
      yield* outcome(budget, "live")
      yield* budget.observe({ dailyExhausted: true })
      expect(yield* budget.probeDue).toBe(true)
      // HubSpot's cap is 1 000 000 (ours says 1 000) and 998 000 are left: a fresh day.
      yield* budget.observe({ dailyRemaining: 998_000 })
      return yield* outcome(budget, "live")
    })
  )
  expect(out).toBe("granted")
})

test("a job's share reaches the shared budget capped at BACKFILL_MAX_SHARE; without one the store applies BACKFILL_SHARE", async () => {
  const shares: Array<number | undefined> = []
  const recording = Layer.effect(
    RateBudget,
    Effect.map(InMemoryRateBudget.make(config), (inner) =>
      RateBudget.of({
        ...inner,
        lease: (lane, max, now, share) =>
          Effect.andThen(
            Effect.sync(() => shares.push(share)),
            inner.lease(lane, max, now, share)
          )
      })
    )
  )
  await Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      yield* budget.take("backfill", 1).pipe(Effect.provideService(LaneShare, 0.95))
    }).pipe(Effect.provide(LocalBudget.layer(config).pipe(Layer.provide(Layer.merge(recording, InMemoryMetrics.layer())))))
  )
  await Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      yield* budget.take("backfill", 1)
    }).pipe(Effect.provide(LocalBudget.layer(config).pipe(Layer.provide(Layer.merge(recording, InMemoryMetrics.layer())))))
  )
  expect(shares).toEqual([0.8, undefined])
})
