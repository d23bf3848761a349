// RateBudget for one process (tests, embedded mode): the same BudgetPolicy as MongoRateBudget,
// with counters in maps. Each method body runs without interleaving, so a lease is atomic.
// `shared` is one store several replicas lease from (tests), as processes share MongoDB.
import { Effect, Layer } from "effect"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import type { LaneName } from "../../application/Lane.ts"
import { type DayLease, RateBudget, type SlotLease } from "../../application/ports/RateBudget.ts"

export const shared = (config: BudgetPolicy.BudgetConfig) => {
  const plan = BudgetPolicy.plan(config)
  const slots = new Map<number, BudgetPolicy.SlotUsage>()
  const days = new Map<string, { top: number; floor: number }>()
  /** Restarts of a local day (HubSpot's count was reset before our midnight): a fresh count each. */
  const restarts = new Map<string, number>()
  let pauseUntil = 0
  const searches = new Set<number>()

  const keyAt = (now: number) => {
    const key = BudgetPolicy.localDay(config.timeZone, now).key
    const restart = restarts.get(key) ?? 0
    return restart === 0 ? key : `${key}~${restart}`
  }
  const dayOf = (key: string) => days.get(key) ?? { top: 0, floor: 0 }
  const usageOf = (index: number) => {
    for (const old of slots.keys()) if (old < index) slots.delete(old)
    return slots.get(index) ?? { used: 0, backfill: 0 }
  }

  /** Each replica's lanes' last lease, as MongoRateBudget's LaneActivity documents. */
  const active = new Map<number, Record<LaneName, number>>()
  /** Replicas (but `except`) that leased for `lane` within the activity window. */
  const activeIn = (lane: LaneName, now: number, except?: number) =>
    [...active].filter(([id, at]) => id !== except && now - at[lane] < BudgetPolicy.LANE_ACTIVE_MS).length
  const elsewhere = (self: number, now: number): BudgetPolicy.Elsewhere => ({
    live: activeIn("live", now, self) > 0,
    backfill: activeIn("backfill", now, self) > 0
  })
  const noted = (self: number, lane: LaneName, now: number) => {
    const at = active.get(self) ?? { live: Number.NEGATIVE_INFINITY, backfill: Number.NEGATIVE_INFINITY }
    active.set(self, { ...at, [lane]: now })
  }

  const replica = (self: number) =>
    RateBudget.of({
      lease: (lane, max, now, share) =>
        Effect.sync((): SlotLease => {
          const others = elsewhere(self, now)
          noted(self, lane, now)
          if (now < pauseUntil) return { _tag: "Wait", retryAfterMs: pauseUntil - now }
          const slot = BudgetPolicy.slotAt(plan, now)
          const usage = usageOf(slot.index)
          const tokens = Math.min(max, BudgetPolicy.roomFor(plan, lane, usage, now, share, others))
          if (tokens <= 0) return { _tag: "Wait", retryAfterMs: BudgetPolicy.retryAt(plan, lane, usage, now, others) - now }
          slots.set(slot.index, { used: usage.used + tokens, backfill: usage.backfill + (lane === "backfill" ? tokens : 0) })
          return { _tag: "Leased", tokens, until: slot.endsAt }
        }),
      claimSearch: (index) =>
        Effect.sync(() => {
          if (searches.has(index)) return false
          for (const old of searches) if (old < index - 100) searches.delete(old)
          searches.add(index)
          return true
        }),
      leaseDay: (max, now) =>
        Effect.sync((): DayLease => {
          const day = BudgetPolicy.localDay(config.timeZone, now)
          const key = keyAt(now)
          const state = dayOf(key)
          const from = Math.max(state.top, state.floor)
          if (from >= config.daily) return { _tag: "DailyExhausted", resetAt: day.resetAt }
          const tokens = Math.min(max, config.daily - from)
          days.set(key, { ...state, top: from + tokens })
          return { _tag: "Leased", tokens, top: from + tokens }
        }),
      observe: (observation, now) =>
        Effect.sync(() => {
          if (observation.pauseUntil !== undefined) pauseUntil = Math.max(pauseUntil, observation.pauseUntil)
          if (observation.dayRestarted === true && observation.dailyRemaining !== undefined) {
            // As MongoRateBudget: only a count still well above HubSpot's is restarted.
            const counted = dayOf(keyAt(now))
            const local = BudgetPolicy.localDay(config.timeZone, now).key
            if (Math.max(counted.top, counted.floor) - (config.daily - observation.dailyRemaining) > BudgetPolicy.dailyResetMargin(config))
              restarts.set(local, (restarts.get(local) ?? 0) + 1)
          }
          const key = keyAt(now)
          const floor = BudgetPolicy.floorOf(config, observation)
          if (floor !== undefined) days.set(key, { ...dayOf(key), floor: Math.max(dayOf(key).floor, floor) })
        }),
      usage: (now) =>
        Effect.sync(() => {
          const slot = BudgetPolicy.slotAt(plan, now)
          const used = slots.get(slot.index) ?? { used: 0, backfill: 0 }
          const day = BudgetPolicy.localDay(config.timeZone, now)
          const state = dayOf(keyAt(now))
          return {
            slot: {
              startsAt: slot.endsAt - plan.slotMs,
              endsAt: slot.endsAt,
              capacity: plan.capacity,
              live: used.used - used.backfill,
              backfill: used.backfill
            },
            day: { key: day.key, resetAt: day.resetAt, cap: config.daily, leased: state.top, floor: state.floor },
            pauseUntil: pauseUntil > now ? pauseUntil : 0,
            active: { live: activeIn("live", now), backfill: activeIn("backfill", now) }
          }
        })
    })
  let replicas = 0
  /** A process's own connection to the store: its leases are its lanes' activity. */
  return { replica: () => replica(replicas++) }
}

/** One replica of a fresh store: one process. */
export const make = (config: BudgetPolicy.BudgetConfig) => Effect.sync(() => shared(config).replica())

export const layer = (config: BudgetPolicy.BudgetConfig) => Layer.effect(RateBudget, make(config))
