// The account-wide HubSpot request budget, shared by every replica and both lanes. A process
// leases many tokens at once here and spends them locally (LocalBudget), so asking the shared
// store costs a fraction of an operation per request.
import { Context, type Effect, Schema } from "effect"
import type { LaneName } from "../Lane.ts"

export type SlotLease =
  /** `tokens` of the current slot, to spend before `until` (the slot's end); unused ones lapse. */
  | { readonly _tag: "Leased"; readonly tokens: number; readonly until: number }
  /** Nothing left for this lane now (slot spent, or a pause): ask again after this long. */
  | { readonly _tag: "Wait"; readonly retryAfterMs: number }

export type DayLease =
  /** `tokens` of today's cap; `top` is the day's count once they are spent (for observations). */
  | { readonly _tag: "Leased"; readonly tokens: number; readonly top: number }
  /** The daily cap is spent (or HubSpot said DAILY): nothing until `resetAt`. */
  | { readonly _tag: "DailyExhausted"; readonly resetAt: number }

/** What HubSpot's X-HubSpot-RateLimit-* headers (or a 429) told us. */
export interface Observation {
  readonly dailyRemaining?: number
  /** A 429 TEN_SECONDLY_ROLLING: spend nothing before this instant. */
  readonly pauseUntil?: number
  /** A 429 DAILY: the cap is spent until the next reset. */
  readonly dailyExhausted?: boolean
  /**
   * HubSpot counts fewer calls today than it did before: its day was reset (our midnight is off).
   * The store starts the day's count again from what HubSpot says (`dailyRemaining`).
   */
  readonly dayRestarted?: boolean
}

/** What the replicas together have leased, for operators: the current slot and the local day. */
export interface BudgetUsage {
  readonly slot: { readonly startsAt: number; readonly endsAt: number; readonly capacity: number; readonly live: number; readonly backfill: number }
  readonly day: { readonly key: string; readonly resetAt: number; readonly cap: number; readonly leased: number; readonly floor: number }
  /** Nothing is leased before then (a 429 was shared); 0 when there is no pause. */
  readonly pauseUntil: number
  /**
   * Replicas that leased for each lane within BudgetPolicy.LANE_ACTIVE_MS (this one included): while
   * live leases in one replica, the backfill in the others leaves it part of every slot.
   */
  readonly active: { readonly live: number; readonly backfill: number }
}

export class BudgetUnavailable extends Schema.TaggedError<BudgetUnavailable>()("BudgetUnavailable", { message: Schema.String }) {
  readonly isRetryable = true
}
export class RateBudgetError extends Schema.TaggedError<RateBudgetError>()("RateBudgetError", {
  reason: BudgetUnavailable
}) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    return this.reason.message
  }
}

export class RateBudget extends Context.Service<
  RateBudget,
  {
    /**
     * Leases up to `max` tokens of the slot at `now` for a lane, in one store decision. Live may
     * lease the whole slot; the backfill only its share (all that is left in the slot's tail), so
     * live is never starved. Replicas together never lease more than the slot holds. `share`:
     * the backfill share of the job leasing (undefined: the configured one).
     * Across processes (BudgetPolicy.Elsewhere, learnt through the store within a second or two):
     * while live sync leases in another process, the backfill leaves LIVE_RESERVE tokens of a slot
     * unleased until its tail, as a process's own live spends its backfill's unspent lease; while
     * the backfill leases in another process, live leaves it what it may still lease before the tail.
     */
    readonly lease: (lane: LaneName, max: number, now: number, share?: number) => Effect.Effect<SlotLease, RateBudgetError>
    /** Leases up to `max` tokens of the account's daily cap (local day in the account's zone). */
    readonly leaseDay: (max: number, now: number) => Effect.Effect<DayLease, RateBudgetError>
    /**
     * Claims search slot `index` (the instant ÷ BudgetPolicy.searchSlotMs): true for exactly one caller across
     * every replica. HubSpot caps search per second apart from the burst window, so a search call
     * spends a search slot and a token of the day, never a slot's burst token.
     */
    readonly claimSearch: (index: number, now: number) => Effect.Effect<boolean, RateBudgetError>
    /** Shares what HubSpot said with every replica: a pause, a daily floor, an exhausted day. */
    readonly observe: (observation: Observation, now: number) => Effect.Effect<void, RateBudgetError>
    /** Reads what is leased in the slot and the day at `now` (leased tokens, not necessarily spent). */
    readonly usage: (now: number) => Effect.Effect<BudgetUsage, RateBudgetError>
  }
>()("crm-sync/application/ports/RateBudget") {}
