// The arithmetic of the account-wide HubSpot budget, shared by the memory and Mongo adapters so
// both grant exactly the same requests. Pure: every function takes `now` and returns numbers.
import { DateTime } from "effect"
import type { LaneName } from "./Lane.ts"

export interface BudgetConfig {
  /** Requests HubSpot allows in any rolling `intervalMs` (100, 190 or 250 per 10 s). */
  readonly burst: number
  readonly intervalMs: number
  /** Daily cap of the account, reset at local midnight in `timeZone`. */
  readonly daily: number
  /** Fraction (0–1) of each slot the backfill lane may use; live may use the whole slot. */
  readonly backfillShare: number
  /** IANA zone of the HubSpot account, e.g. "Europe/Paris". */
  readonly timeZone: string
}

export interface SlotPlan {
  readonly slots: number
  readonly slotMs: number
  readonly capacity: number
  readonly backfillCapacity: number
}

/** Slots shorter than interval/10 add writes and latency for a few percent of throughput. */
const MAX_SLOTS = 10

const perInterval = (burst: number, k: number) => k * Math.floor(burst / (k + 1))

/**
 * HubSpot counts a ROLLING window, so a token bucket could pass 2× the burst across a refill.
 * With k fixed slots per interval, a rolling interval overlaps at most k+1 slots; giving each slot
 * floor(burst/(k+1)) never exceeds the burst. We pick the k that grants the most per interval.
 */
export const plan = (config: BudgetConfig): SlotPlan => {
  if (config.burst < 2) throw new Error("BudgetConfig.burst must be at least 2 for a rolling-safe slot plan")
  let slots = 1
  for (let k = 2; k <= Math.min(MAX_SLOTS, config.burst - 1); k++) {
    if (perInterval(config.burst, k) > perInterval(config.burst, slots)) slots = k
  }
  const capacity = Math.floor(config.burst / (slots + 1))
  return { slots, slotMs: Math.ceil(config.intervalMs / slots), capacity, backfillCapacity: backfillCapacity(capacity, config.backfillShare) }
}

/** Rounding must neither shut the backfill out (share > 0) nor let it take live's last token. */
const backfillCapacity = (capacity: number, share: number): number => {
  if (share <= 0) return 0
  if (share >= 1) return capacity
  if (capacity < 2) return 0
  return Math.min(capacity - 1, Math.max(1, Math.floor(capacity * share)))
}

export interface Slot {
  readonly index: number
  readonly endsAt: number
}
export const slotAt = (p: SlotPlan, now: number): Slot => {
  const index = Math.floor(now / p.slotMs)
  return { index, endsAt: (index + 1) * p.slotMs }
}

export interface SlotUsage {
  readonly used: number
  readonly backfill: number
}
/** The most a slot may hold before this take, per lane: `used` and the backfill's own count. */
export const limitsFor = (p: SlotPlan, lane: LaneName, tokens: number): SlotUsage => ({
  used: p.capacity - tokens,
  backfill: lane === "backfill" ? p.backfillCapacity - tokens : Number.POSITIVE_INFINITY
})
export const fitsSlot = (p: SlotPlan, lane: LaneName, tokens: number, usage: SlotUsage): boolean => {
  const max = limitsFor(p, lane, tokens)
  return usage.used <= max.used && usage.backfill <= max.backfill
}
/** A take larger than the lane's slot could never be granted: a caller bug, not a wait. */
export const takeable = (p: SlotPlan, lane: LaneName, tokens: number): boolean =>
  tokens >= 1 && tokens <= (lane === "backfill" ? p.backfillCapacity : p.capacity)

export interface LocalDay {
  readonly key: string
  readonly resetAt: number
}
/** The account's local calendar day and its next midnight (DST-aware through the IANA zone). */
export const localDay = (timeZone: string, now: number): LocalDay => {
  const zoned = DateTime.makeZonedUnsafe(now, { timeZone })
  const midnight = DateTime.startOf(DateTime.add(DateTime.startOf(zoned, "day"), { days: 1 }), "day")
  return { key: DateTime.formatIsoDate(zoned), resetAt: DateTime.toEpochMillis(midnight) }
}

/** HubSpot's remaining count wins when it is lower than ours (other apps share the daily cap). */
export const usedFromRemaining = (daily: number, used: number, remaining: number): number =>
  Math.max(used, daily - remaining)
