// BACKFILL_DAILY_RESERVE: the backfill lane stops at its share of the daily cap; live goes on.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import type { BudgetConfig } from "../../src/application/BudgetPolicy.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"

const config = (reserve: number | undefined): BudgetConfig => ({
  burst: 100_000,
  intervalMs: 1_000,
  daily: 1_000,
  backfillShare: 1,
  timeZone: "UTC",
  ...(reserve === undefined ? {} : { backfillDailyReserve: reserve })
})

const takeUntilRefused = (reserve: number | undefined) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      let backfill = 0
      for (; backfill < 1_000; backfill++) {
        const refused = yield* budget.take("backfill", 1).pipe(
          Effect.as(false),
          Effect.catch((e) => Effect.succeed(e.reason._tag))
        )
        if (refused !== false) break
      }
      const live = yield* budget.take("live", 1).pipe(Effect.as("granted"))
      return { backfill, live }
    }).pipe(Effect.provide(LocalBudget.layer(config(reserve)).pipe(Layer.provide(InMemoryRateBudget.layer(config(reserve))))))
  )

test("by default the backfill stops at 80 % of the daily cap, and live still gets calls", async () => {
  expect(await takeUntilRefused(undefined)).toEqual({ backfill: 800, live: "granted" })
})

test("a reserve given as a count of calls", async () => {
  expect(await takeUntilRefused(300)).toEqual({ backfill: 700, live: "granted" })
})
