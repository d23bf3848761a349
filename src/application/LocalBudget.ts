// Hands out HubSpot request tokens inside one process from leases of the shared RateBudget: a
// call costs the store nothing until the lease is spent, then one process-wide refill asks for a
// slot's worth (and, every ~1000 calls, a slice of the daily cap).
import { Clock, Context, Effect, Layer, Random, Schema, Semaphore } from "effect"
import * as BudgetPolicy from "./BudgetPolicy.ts"
import { type LaneName, LaneShare } from "./Lane.ts"
import { Metrics } from "./ports/Metrics.ts"
import { BudgetUnavailable, type Observation, RateBudget, type RateBudgetError } from "./ports/RateBudget.ts"

/**
 * The daily cap is spent (our count or HubSpot's DAILY): nothing until `resetAt`, unless a probe
 * at `probeAt` finds HubSpot's day was reset earlier.
 */
export class DailyBudgetSpent extends Schema.TaggedError<DailyBudgetSpent>()("DailyBudgetSpent", { resetAt: Schema.Finite, probeAt: Schema.Finite }) {
  readonly isRetryable = false
}
export class BudgetError extends Schema.TaggedError<BudgetError>()("BudgetError", {
  reason: Schema.Union([DailyBudgetSpent, BudgetUnavailable])
}) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
}

export class LocalBudget extends Context.Service<
  LocalBudget,
  {
    /**
     * Waits (on the Clock) until `tokens` are granted to the lane, or fails once the day is spent.
     * `daily: false` (a probe of the daily cap) takes rolling-window tokens only.
     */
    readonly take: (lane: LaneName, tokens: number, daily?: boolean) => Effect.Effect<void, BudgetError>
    /**
     * Waits for a search call's allowance: a search slot no other replica holds, and a token of
     * the day, but no burst token (HubSpot caps search per second, apart from the burst window).
     */
    readonly takeSearch: (lane: LaneName) => Effect.Effect<void, BudgetError>
    /**
     * True when the day is spent here and a probe of HubSpot's daily count is due (at most one
     * per DAILY_PROBE_INTERVAL in this process): the caller makes one cheap call and observes it.
     */
    readonly probeDue: Effect.Effect<boolean>
    /** What HubSpot answered: applied here at once, shared through the store only when it is news. */
    readonly observe: (observation: Observation) => Effect.Effect<void, BudgetError>
  }
>()("crm-sync/application/LocalBudget") {}

const storeDown = (error: RateBudgetError) => new BudgetError({ reason: error.reason })
const spent = (resetAt: number, probeAt: number) => new BudgetError({ reason: new DailyBudgetSpent({ resetAt, probeAt: Math.min(resetAt, probeAt) }) })

/** The slot's tail, in which the backfill spends what live left of its reserve. */
const RESERVE_TAIL = 0.15
/** The reserve's last token waits until this close to the slot's end. */
const LAST_TOKEN_MS = 20

/**
 * How often a waiting live call looks for tokens in the process: a live call that found the store's
 * slot full at a slot's start slept the whole slot (550 ms) while the backfill's lease, landing a
 * few ms later, held 8 unspent tokens it could have taken.
 */
const LIVE_RECHECK_MS = 10

interface Held {
  until: number
  left: number
  /** Tokens leased for the slot ending at `until` (the backfill's are spent evenly over it). */
  leased: number
}

export const make = Effect.fn("LocalBudget.make")(function* (config: BudgetPolicy.BudgetConfig) {
  const store = yield* RateBudget
  const metrics = yield* Metrics
  const plan = BudgetPolicy.plan(config)
  const daySize = BudgetPolicy.dailyLeaseSize(config, plan)
  // One refill at a time per lane, and one lease of the day at a time: a live call never queues
  // behind a backfill refill waiting on the store (under a backfill's load a store round trip took
  // up to seconds, and live calls waited for it with one process-wide refill).
  const refills: Record<LaneName, Semaphore.Semaphore> = { live: yield* Semaphore.make(1), backfill: yield* Semaphore.make(1) }
  const dayRefills = yield* Semaphore.make(1)
  const held: Record<LaneName, Held> = { live: { until: 0, left: 0, leased: 0 }, backfill: { until: 0, left: 0, leased: 0 } }
  /** No lease before then: the store said the lane's slot is spent, so waiters do not ask again. */
  const blocked: Record<LaneName, number> = { live: 0, backfill: 0 }
  /** `top`: the day's count we know the store has reached; a header above it is news to share. */
  const day = { resetAt: 0, left: 0, top: 0 }
  let pauseUntil = 0
  /** When live last asked for a token (the backfill keeps its reserve for live while recent). */
  let lastLiveTakeAt = Number.NEGATIVE_INFINITY
  let exhaustedUntil = 0
  const probeMs = config.dailyProbeMs ?? BudgetPolicy.DEFAULT_DAILY_PROBE_MS
  let nextProbeAt = 0
  /** The store is asked again at most this often while it says the day is spent (another replica may restart it). */
  let nextStoreCheckAt = 0
  /**
   * HubSpot's own count of the day, the highest it has shown (a DAILY 429 shows the cap). It only
   * grows within HubSpot's day: an answer well below it means HubSpot's day was reset.
   */
  let crmUsed = 0
  const resetMargin = BudgetPolicy.dailyResetMargin(config)

  const rollDay = (now: number) => {
    if (now < day.resetAt) return
    Object.assign(day, { resetAt: BudgetPolicy.localDay(config.timeZone, now).resetAt, left: 0, top: 0 })
    crmUsed = 0
  }
  const spentNow = (now: number) => spent(now < exhaustedUntil ? exhaustedUntil : day.resetAt, Math.max(now, nextProbeAt))
  const hasLease = (lane: LaneName, tokens: number, now: number) => held[lane].until > now && held[lane].left >= tokens
  // Live goes first inside the process too: a live call with no lease of its own spends what the
  // backfill leased in this slot and has not spent yet (the slot's count in the store is the same;
  // only the backfill's own count reads higher, which holds the backfill back, never live).
  const source = (lane: LaneName, tokens: number, now: number): LaneName | undefined =>
    hasLease(lane, tokens, now) ? lane : lane === "live" && hasLease("backfill", tokens, now) ? "backfill" : undefined
  /**
   * When the backfill may spend its next token: its slot's lease spent evenly over the slot, not in
   * a burst at its start, so a live call arriving mid-slot finds unspent tokens to take (`source`)
   * instead of waiting for the next slot. What live takes counts as spent, pushing the backfill's
   * next token later: live goes first. The slot's total is unchanged.
   */
  const pacedAt = (now: number): number => {
    const h = held.backfill
    if (h.until <= now || h.leased === 0) return now
    const spent = h.leased - h.left
    // The lease's last tokens wait for the slot's tail: a live change needs a few calls at once
    // (objects and associations side by side, then a write), and found one token mid-slot, then
    // waited for the next slot (up to 520 ms in bench:backfill). Spent in the tail, they are not lost.
    // Only while live sync is active: a reserve the backfill could not spend in the tail cost it
    // ~10 % of its records/s with no live call to serve (bench/backfill-crm.ts).
    // The same reserve the store keeps for another process's live (what one live change calls at
    // once), kept while this process's live took a token within the activity window.
    const reserve = now - lastLiveTakeAt < BudgetPolicy.LANE_ACTIVE_MS ? Math.min(BudgetPolicy.LIVE_RESERVE, h.leased - 1) : 0
    const early = h.leased - reserve
    const start = h.until - plan.slotMs
    const tail = h.until - Math.floor(plan.slotMs * RESERVE_TAIL)
    if (spent < early) return start + Math.floor((spent * (tail - start)) / early)
    // The reserve goes a token at a time across the tail, its last just before the slot ends (the
    // tail's top-up lease joins it): spent all at the tail's start, it left live arriving later in
    // the tail nothing, and live waited for the next slot (up to 90 ms, 6 % of live's takes).
    const last = h.until - LAST_TOKEN_MS
    const after = reserve - 1 - Math.min(spent - early, reserve - 1) // reserve tokens still to come after this one
    return last - Math.floor((after * (last - tail)) / Math.max(1, reserve - 1))
  }
  const spend = (lane: LaneName, tokens: number, now: number, daily: boolean): boolean => {
    const from = source(lane, tokens, now)
    if (now < pauseUntil || from === undefined) return false
    if (daily && (now < exhaustedUntil || now >= day.resetAt || day.left < tokens)) return false
    held[from].left -= tokens
    if (daily) day.left -= tokens
    return true
  }

  const refillDay = Effect.fnUntraced(function* (now: number, tokens: number) {
    // The other lane may have leased a slice of the day while this one waited for the permit.
    if (day.left >= tokens && now >= exhaustedUntil) return
    const lease = yield* Effect.mapError(store.leaseDay(daySize, now), storeDown)
    nextStoreCheckAt = now + probeMs
    if (lease._tag === "DailyExhausted") {
      exhaustedUntil = lease.resetAt
      crmUsed = Math.max(crmUsed, config.daily)
      return yield* spent(lease.resetAt, Math.max(now, nextProbeAt))
    }
    exhaustedUntil = 0
    day.left += lease.tokens
    day.top = Math.max(day.top, lease.top)
  })

  /** One fiber at a time: returns how long to wait before trying again (0: try now). */
  const refill = Effect.fnUntraced(function* (lane: LaneName, tokens: number, daily: boolean, share: number | undefined) {
    const now = yield* Clock.currentTimeMillis
    rollDay(now)
    if (now < pauseUntil) return pauseUntil - now
    // Spent: ask the store again now and then, as another replica's probe may have restarted the day.
    if (daily && now < exhaustedUntil && now < nextStoreCheckAt) return yield* spent(exhaustedUntil, Math.max(now, nextProbeAt))
    if (daily && (day.left < tokens || now < exhaustedUntil)) {
      yield* dayRefills.withPermits(1)(refillDay(now, tokens))
      return 0
    }
    // Live may find the backfill's fresh lease here: it waited for this permit while the backfill's
    // refill landed (both lanes refill at a slot's start).
    if (source(lane, tokens, now) !== undefined) return 0
    if (now < blocked[lane]) return blocked[lane] - now
    const lease = yield* Effect.mapError(store.lease(lane, plan.capacity, now, lane === "backfill" ? share : undefined), storeDown).pipe(
      Effect.withSpan("store.budget.lease")
    )
    if (lease._tag === "Wait") {
      // Replicas that all wake at the slot's start would race for its first lease; a few percent
      // of a slot apart, the later one reads what the first took instead of losing an insert.
      const wait = lease.retryAfterMs + Math.floor((yield* Random.next) * plan.slotMs * 0.04)
      yield* Effect.annotateCurrentSpan("waitMs", wait)
      blocked[lane] = now + wait
      return wait
    }
    const h = held[lane]
    const same = h.until === lease.until
    held[lane] = { until: lease.until, left: (same ? h.left : 0) + lease.tokens, leased: (same ? h.leased : 0) + lease.tokens }
    return 0
  })

  // The day's calls as far as this process knows: what the store counted minus what it holds unspent.
  const backfillStop = BudgetPolicy.backfillDailyStop(config)
  const reserveReached = (lane: LaneName, now: number) => {
    rollDay(now)
    return lane === "backfill" && day.top - day.left >= backfillStop
  }

  const take = (lane: LaneName, tokens: number, daily = true): Effect.Effect<void, BudgetError> =>
    BudgetPolicy.takeable(plan, lane, tokens)
      ? Effect.gen(function* () {
          const asked = yield* LaneShare
          const share = asked === undefined ? undefined : BudgetPolicy.laneShare(config, asked)
          while (true) {
            const now = yield* Clock.currentTimeMillis
            if (daily && reserveReached(lane, now)) return yield* spentNow(now)
            const due = lane === "backfill" && hasLease(lane, tokens, now) ? pacedAt(now) : now
            if (due > now) {
              yield* Effect.sleep(due - now)
              continue
            }
            if (lane === "live") lastLiveTakeAt = now
            if (spend(lane, tokens, now, daily)) return yield* metrics.count("budget_tokens_total", { lane }, tokens)
            const wait = yield* refills[lane]
              .withPermits(1)(refill(lane, tokens, daily, share))
              .pipe(Effect.withSpan("budget.refill"))
            // Live waiting for the next slot looks again every few ms: the backfill's lease of the slot
            // may land meanwhile (its refill and live's run side by side), and live spends that at
            // once (`source`). Not through a 429's pause, which no lease ends early.
            const recheck = lane === "live" && now >= pauseUntil
            if (wait > 0) yield* Effect.sleep(recheck ? Math.min(wait, LIVE_RECHECK_MS) : wait).pipe(Effect.withSpan("budget.wait"))
          }
        })
      : Effect.die(new RangeError(`cannot take ${tokens} ${lane} tokens`))

  const probeDue = Effect.map(Clock.currentTimeMillis, (now) => {
    rollDay(now)
    const dayIsSpent = now < exhaustedUntil || day.top - day.left >= backfillStop
    if (!dayIsSpent || now < nextProbeAt) return false
    nextProbeAt = now + probeMs
    return true
  })

  /** HubSpot's count fell: its day restarted. Count afresh from it, here and in the store. */
  const restartDay = (used: number) => {
    Object.assign(day, { left: 0, top: used })
    exhaustedUntil = 0
    nextStoreCheckAt = 0
    crmUsed = used
  }

  const observe = Effect.fnUntraced(function* (o: Observation) {
    const now = yield* Clock.currentTimeMillis
    rollDay(now)
    const news: { pauseUntil?: number; dailyRemaining?: number; dailyExhausted?: boolean } = {}
    if (o.pauseUntil !== undefined && o.pauseUntil > now) yield* metrics.count("budget_throttled_total")
    if (o.pauseUntil !== undefined && o.pauseUntil > pauseUntil) pauseUntil = news.pauseUntil = o.pauseUntil
    if (o.dailyExhausted === true) crmUsed = Math.max(crmUsed, config.daily)
    // In the cap's units, as the floors go: what is left is what counts. A CRM cap above ours
    // (a remaining figure above our cap) reads as nothing spent.
    const used = o.dailyRemaining === undefined ? undefined : Math.max(0, config.daily - o.dailyRemaining)
    if (o.dailyExhausted !== true && used !== undefined && used < crmUsed - resetMargin) {
      yield* Effect.logInfo(`HubSpot's daily count fell from ${crmUsed} to ${used}: its day was reset; counting afresh`)
      restartDay(used)
      yield* Effect.mapError(store.observe({ dayRestarted: true, dailyRemaining: o.dailyRemaining! }, now), storeDown)
      return
    }
    if (used !== undefined) crmUsed = Math.max(crmUsed, used)
    if (o.dailyExhausted === true && now >= exhaustedUntil) {
      exhaustedUntil = day.resetAt
      news.dailyExhausted = true
    } else if (o.dailyRemaining !== undefined) {
      day.left = Math.min(day.left, o.dailyRemaining)
      // Our own calls stay under `top`; beyond it other apps spend the cap: tell the replicas,
      // then stay quiet for a daily lease's worth so a steady drift costs a write per lease.
      if (config.daily - o.dailyRemaining > day.top) {
        day.top = config.daily - o.dailyRemaining + daySize
        news.dailyRemaining = o.dailyRemaining
      }
    }
    if (Object.keys(news).length > 0) yield* Effect.mapError(store.observe(news, now), storeDown)
  })

  const searchMs = BudgetPolicy.searchSlotMs(config)
  /** The first search slot this process has not tried: a slot is asked for once, won or lost. */
  let searchFrom = 0

  /** One token of the day, for a call that spends no burst token. */
  const takeDay = Effect.fnUntraced(function* (now: number) {
    while (true) {
      rollDay(now)
      if (now < exhaustedUntil && now < nextStoreCheckAt) return yield* spentNow(now)
      if (now >= exhaustedUntil && day.left >= 1) {
        day.left -= 1
        return
      }
      yield* dayRefills.withPermits(1)(refillDay(now, 1))
    }
  })

  /**
   * Tries the slot starting now; a slot whose start is past by more than SEARCH_SLOT_LATE_MS is
   * left, and a win the store confirmed after half the slot is not used: calls then start within
   * half a slot of their slot's start, so six of them span more than a second.
   */
  const trySearchSlot = Effect.fnUntraced(function* (now: number) {
    const index = Math.floor(now / searchMs)
    if (index < searchFrom || now - index * searchMs > BudgetPolicy.SEARCH_SLOT_LATE_MS) return false
    searchFrom = index + 1
    const won = yield* Effect.mapError(store.claimSearch(index, now), storeDown)
    return won && (yield* Clock.currentTimeMillis) - index * searchMs < searchMs / 2
  })

  const takeSearch = (lane: LaneName): Effect.Effect<void, BudgetError> =>
    Effect.gen(function* () {
      while (true) {
        const now = yield* Clock.currentTimeMillis
        if (reserveReached(lane, now)) return yield* spentNow(now)
        if (yield* trySearchSlot(now)) {
          yield* takeDay(yield* Clock.currentTimeMillis)
          return yield* metrics.count("budget_search_slots_total", { lane })
        }
        yield* Effect.sleep(Math.max(searchFrom, Math.floor(now / searchMs) + 1) * searchMs - now)
      }
    }).pipe(Effect.withSpan("budget.takeSearch"))

  return LocalBudget.of({ take, takeSearch, observe, probeDue })
})

/** Needs the shared RateBudget; one per process, so its leases serve every call of the process. */
export const layer = (config: BudgetPolicy.BudgetConfig) => Layer.effect(LocalBudget, make(config))
