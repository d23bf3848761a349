// RateBudget for one process (tests, embedded mode): the same BudgetPolicy as MongoRateBudget,
// with counters in maps. Each method body runs without interleaving, so a take is atomic.
import { Effect, Layer } from "effect"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import { type Grant, RateBudget } from "../../application/ports/RateBudget.ts"

export const make = (config: BudgetPolicy.BudgetConfig) =>
  Effect.sync(() => {
    const plan = BudgetPolicy.plan(config)
    const slots = new Map<number, { used: number; backfill: number }>()
    const dailyUsed = new Map<string, number>()
    let pauseUntil = 0

    const forget = (current: number) => {
      for (const index of slots.keys()) if (index < current) slots.delete(index)
    }

    return RateBudget.of({
      tryTake: (lane, tokens, now) =>
        Effect.suspend((): Effect.Effect<Grant> => {
          if (!BudgetPolicy.takeable(plan, lane, tokens)) return Effect.die(new RangeError(`cannot take ${tokens} ${lane} tokens`))
          if (now < pauseUntil) return Effect.succeed({ _tag: "Wait", retryAfterMs: pauseUntil - now })
          const day = BudgetPolicy.localDay(config.timeZone, now)
          const used = dailyUsed.get(day.key) ?? 0
          if (used + tokens > config.daily) return Effect.succeed({ _tag: "DailyExhausted", resetAt: day.resetAt })
          const slot = BudgetPolicy.slotAt(plan, now)
          forget(slot.index)
          const usage = slots.get(slot.index) ?? { used: 0, backfill: 0 }
          if (!BudgetPolicy.fitsSlot(plan, lane, tokens, usage)) return Effect.succeed({ _tag: "Wait", retryAfterMs: slot.endsAt - now })
          slots.set(slot.index, { used: usage.used + tokens, backfill: usage.backfill + (lane === "backfill" ? tokens : 0) })
          dailyUsed.set(day.key, used + tokens)
          return Effect.succeed({ _tag: "Granted" })
        }),
      observe: (observation, now) =>
        Effect.sync(() => {
          if (observation.pauseUntil !== undefined) pauseUntil = Math.max(pauseUntil, observation.pauseUntil)
          const day = BudgetPolicy.localDay(config.timeZone, now).key
          const used = dailyUsed.get(day) ?? 0
          if (observation.dailyExhausted === true) dailyUsed.set(day, Math.max(used, config.daily))
          else if (observation.dailyRemaining !== undefined)
            dailyUsed.set(day, BudgetPolicy.usedFromRemaining(config.daily, used, observation.dailyRemaining))
        })
    })
  })

export const layer = (config: BudgetPolicy.BudgetConfig) => Layer.effect(RateBudget, make(config))
