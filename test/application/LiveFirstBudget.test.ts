// Live always goes first on the HubSpot budget (issue 10 #4): BACKFILL_SHARE leaves live part of
// every slot, and within a process live spends what the backfill leased and has not spent.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import { type BudgetConfig, plan } from "../../src/application/BudgetPolicy.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"

// Slots of a minute: a call that has to wait for the next slot is plain to see.
const config: BudgetConfig = { burst: 100, intervalMs: 600_000, daily: 1_000_000, backfillShare: 1, timeZone: "UTC" }

test("BACKFILL_SHARE is capped at BACKFILL_MAX_SHARE like a job's share: live keeps part of every slot", () => {
  const p = plan(config)
  expect(p.backfillCapacity).toBeLessThan(p.capacity)
  expect(plan({ ...config, maxBackfillShare: 1 }).backfillCapacity).toBe(p.capacity)
})

test("a live call spends the tokens the backfill leased in this slot instead of waiting for the next slot", async () => {
  const granted = await Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      // The backfill leases its share of the slot and spends one token of it.
      yield* budget.take("backfill", 1)
      const p = plan(config)
      // Live leases what is left of the slot, then needs as much again as the backfill holds unspent.
      let live = 0
      for (let i = 0; i < p.capacity - 1; i++) {
        const ok = yield* budget.take("live", 1).pipe(
          Effect.timeoutOption(300),
          Effect.map((o) => o._tag === "Some")
        )
        if (!ok) break
        live++
      }
      return { live, wanted: p.capacity - 1 }
    }).pipe(Effect.provide(LocalBudget.layer(config).pipe(Layer.provide(InMemoryRateBudget.layer(config)))))
  )
  expect(granted.live).toBe(granted.wanted)
})
