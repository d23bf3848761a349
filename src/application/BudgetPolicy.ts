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
  /**
   * Calls of the daily cap the backfill leaves to live sync and the account's other apps: a
   * fraction of `daily` when ≤ 1, a count otherwise. Default 0.2 (20 %).
   */
  readonly backfillDailyReserve?: number
  /** The most a job's own `--share` may ask for (BACKFILL_MAX_SHARE); default 0.9, so live keeps a tenth. */
  readonly maxBackfillShare?: number
  /**
   * While the day is spent, one call per this many ms asks HubSpot whether its day was reset
   * (DAILY_PROBE_INTERVAL): a wrong time zone or a skewed clock then costs minutes, not a day.
   */
  readonly dailyProbeMs?: number
  /** Search calls HubSpot allows per second per account, apart from the burst window. Default 5. */
  readonly searchPerSecond?: number
}

/**
 * Search slots: one search call each, account-wide. One fewer a second than HubSpot allows, and a
 * call starts early in its slot (SEARCH_SLOT_LATE_MS), so six calls always span more than a second
 * even when one of them reaches HubSpot some tens of ms late.
 */
export const searchSlotMs = (config: Pick<BudgetConfig, "searchPerSecond">): number => Math.ceil(1000 / Math.max(1, (config.searchPerSecond ?? 5) - 1))
/** A search slot is only used this soon after it starts; later, the caller waits for the next. */
export const SEARCH_SLOT_LATE_MS = 100

/** The backfill share a page runs at: the job's own or BACKFILL_SHARE, capped at BACKFILL_MAX_SHARE. */
export const laneShare = (config: Pick<BudgetConfig, "backfillShare" | "maxBackfillShare">, asked: number | undefined): number =>
  Math.max(0, Math.min(asked ?? config.backfillShare, config.maxBackfillShare ?? 0.9))

export const DEFAULT_DAILY_PROBE_MS = 60_000

/** The day's count past which the backfill lane stops until the reset. */
export const backfillDailyStop = (config: BudgetConfig): number => {
  const reserve = config.backfillDailyReserve ?? 0.2
  return Math.max(0, config.daily - (reserve <= 1 ? Math.ceil(config.daily * reserve) : reserve))
}

export interface SlotPlan {
  readonly slots: number
  readonly slotMs: number
  readonly capacity: number
  readonly backfillCapacity: number
}

/** Slots shorter than interval/10 add writes and latency for a few percent of throughput... */
const MAX_SLOTS = 10
/**
 * ...unless a slot still holds FINE_SLOT_CAPACITY tokens and lasts FINE_SLOT_MS: then up to
 * MAX_FINE_SLOTS. A rolling interval overlaps k+1 slots, so k slots pass k/(k+1) of the burst at
 * most: at 190 / 10 s, 9 slots of 19 passed 171 a rolling interval (90 %, the backfill's ceiling
 * at its full share), 18 slots of 10 pass 180 (94.7 %), for one more lease a second per busy lane
 * (still one lease per 10 calls at most).
 */
const FINE_SLOT_CAPACITY = 10
const FINE_SLOT_MS = 500
const MAX_FINE_SLOTS = 30

const perInterval = (burst: number, k: number) => k * Math.floor(burst / (k + 1))

/**
 * HubSpot counts a ROLLING window, so a token bucket could pass 2× the burst across a refill.
 * With k fixed slots per interval, a rolling interval overlaps at most k+1 slots; giving each slot
 * floor(burst/(k+1)) never exceeds the burst. We pick the k that grants the most per interval.
 */
export const plan = (config: BudgetConfig): SlotPlan => {
  if (config.burst < 2) throw new Error("BudgetConfig.burst must be at least 2 for a rolling-safe slot plan")
  let slots = 1
  for (let k = 2; k <= Math.min(MAX_FINE_SLOTS, config.burst - 1); k++) {
    const fine = Math.floor(config.burst / (k + 1)) >= FINE_SLOT_CAPACITY && config.intervalMs / k >= FINE_SLOT_MS
    if ((k <= MAX_SLOTS || fine) && perInterval(config.burst, k) > perInterval(config.burst, slots)) slots = k
  }
  const capacity = Math.floor(config.burst / (slots + 1))
  // BACKFILL_SHARE is capped like a job's own share: live always keeps part of every slot (and the
  // backfill still takes what live left in the slot's tail, so an idle live lane costs it nothing).
  const share = Math.min(config.backfillShare, config.maxBackfillShare ?? 0.9)
  return { slots, slotMs: Math.ceil(config.intervalMs / slots), capacity, backfillCapacity: backfillCapacity(capacity, share) }
}

/** Rounding must neither shut the backfill out (share > 0) nor let it take live's last token. */
export const backfillCapacity = (capacity: number, share: number): number => {
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

/**
 * In a slot's last quarter the backfill may take what live left unused: a live call arriving then
 * waits at most that quarter, while a quiet live lane no longer idles three quarters of the budget.
 */
const TAIL_SHARE = 0.25
const tailStart = (p: SlotPlan, slot: Slot) => slot.endsAt - Math.floor(p.slotMs * TAIL_SHARE)

/**
 * What other processes sharing the store did lately (the RateBudget adapter learns it from the store):
 * a process's own live sync spends its backfill's unspent lease (LocalBudget), another process's
 * cannot, so the slot itself must keep room for it.
 */
export interface Elsewhere {
  /** Live sync leased in another process within LANE_ACTIVE_MS. */
  readonly live: boolean
  /** The backfill leased in another process within LANE_ACTIVE_MS. */
  readonly backfill: boolean
}
export const nowhere: Elsewhere = { live: false, backfill: false }
/** How long a lane counts as active in a process after its last lease. */
export const LANE_ACTIVE_MS = 10_000
/** Tokens of a slot kept unleased for another process's live sync: what one live change calls at once. */
export const LIVE_RESERVE = 3

/**
 * The most the backfill may lease of a slot before its tail: its share, less the live reserve
 * while live sync runs in another process (never below one token while the share is above 0).
 */
const backfillPart = (p: SlotPlan, share: number | undefined, elsewhere: Elsewhere): number => {
  const cap = share === undefined ? p.backfillCapacity : backfillCapacity(p.capacity, share)
  return elsewhere.live ? Math.min(cap, Math.max(Math.min(cap, 1), p.capacity - LIVE_RESERVE)) : cap
}

/**
 * Tokens a lane may still lease from a slot: live the whole slot, backfill its share (all in the
 * tail). `share` is the leasing job's own; the slot's backfill count is the lane's, so jobs with
 * different shares running at once together take at most the largest of their shares. Across
 * processes a lease's unspent tokens lapse unused by the others, so:
 * - while the backfill runs in another process, live leaves it what the backfill may still lease
 *   before the tail (a live lease of the whole slot at its start left the other's backfill nothing);
 * - while live runs in another process too, a live lease takes half of what it may (at least one):
 *   a whole-slot lease made the other process's live wait for the next slot (idle live p99 145 →
 *   561 ms with two replicas, bench:backfill --replicas 2).
 */
export const roomFor = (p: SlotPlan, lane: LaneName, usage: SlotUsage, now: number, share?: number, elsewhere: Elsewhere = nowhere): number => {
  const free = Math.max(0, p.capacity - usage.used)
  const tail = now >= tailStart(p, slotAt(p, now))
  if (lane === "backfill") return tail ? free : Math.max(0, Math.min(free, backfillPart(p, share, elsewhere) - usage.backfill))
  const backfillLeft = elsewhere.backfill && !tail ? Math.max(0, backfillPart(p, undefined, { live: true, backfill: false }) - usage.backfill) : 0
  const room = Math.max(0, free - backfillLeft)
  return elsewhere.live ? Math.ceil(room / 2) : room
}
/** When a lane that found no room may ask again: at the tail if the slot has room left then. */
export const retryAt = (p: SlotPlan, lane: LaneName, usage: SlotUsage, now: number, elsewhere: Elsewhere = nowhere): number => {
  const slot = slotAt(p, now)
  const tail = tailStart(p, slot)
  return (lane === "backfill" || elsewhere.backfill) && now < tail && usage.used < p.capacity ? tail : slot.endsAt
}
/** A take larger than the lane's slot could never be granted: a caller bug, not a wait. */
export const takeable = (p: SlotPlan, lane: LaneName, tokens: number): boolean =>
  tokens >= 1 && tokens <= (lane === "backfill" ? p.backfillCapacity : p.capacity)

/**
 * Daily tokens a process leases at once: big enough that the daily count costs a store operation
 * per ~1000 calls, small enough that what a stopped replica strands stays well under 1 % of the cap.
 */
export const dailyLeaseSize = (config: BudgetConfig, p: SlotPlan): number =>
  Math.min(config.daily, Math.max(p.capacity, Math.min(1000, Math.floor(config.daily / 250))))

/**
 * How far HubSpot's daily count must fall below the highest it showed before we call it a reset:
 * answers of calls in flight arrive out of order, and leases not yet spent sit above HubSpot's count.
 */
export const dailyResetMargin = (config: BudgetConfig): number =>
  Math.max(1, Math.ceil(config.daily * 0.05), Math.min(2 * dailyLeaseSize(config, plan(config)), Math.floor(config.daily / 4)))

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

/**
 * The day's count HubSpot's answer proves: leases start above it, since other apps of the account
 * spend the same daily cap.
 */
export const floorOf = (config: BudgetConfig, o: { readonly dailyRemaining?: number; readonly dailyExhausted?: boolean }): number | undefined =>
  o.dailyExhausted === true ? config.daily : o.dailyRemaining === undefined ? undefined : config.daily - o.dailyRemaining
