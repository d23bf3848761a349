// The account-wide HubSpot request budget, shared by every replica and both lanes.
import { Context, type Effect, Schema } from "effect"
import type { LaneName } from "../Lane.ts"

export type Grant =
  | { readonly _tag: "Granted" }
  /** Not now: ask again after this long. */
  | { readonly _tag: "Wait"; readonly retryAfterMs: number }
  /** The daily cap is spent (or HubSpot said DAILY): nothing until `resetAt`. */
  | { readonly _tag: "DailyExhausted"; readonly resetAt: number }

/** What HubSpot's X-HubSpot-RateLimit-* headers (or a 429) told us. */
export interface Observation {
  readonly dailyRemaining?: number
  /** A 429 TEN_SECONDLY_ROLLING: spend nothing before this instant. */
  readonly pauseUntil?: number
  /** A 429 DAILY: the cap is spent until the next reset. */
  readonly dailyExhausted?: boolean
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
     * Atomically takes `tokens` for a lane at `now`, or says how long to wait. The live lane
     * may use the whole burst; the backfill only its configured share, so live is never starved.
     */
    readonly tryTake: (lane: LaneName, tokens: number, now: number) => Effect.Effect<Grant, RateBudgetError>
    readonly observe: (observation: Observation, now: number) => Effect.Effect<void, RateBudgetError>
  }
>()("crm-sync/application/ports/RateBudget") {}
