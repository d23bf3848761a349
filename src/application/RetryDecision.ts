// What happens to a message whose handler failed: the one policy both bus adapters follow.
import type { ParkedItem } from "./ports/SyncStore.ts"
import type { Envelope, Step } from "./Step.ts"
import type { StepFailure } from "./StepFailure.ts"

export type RetryDecision =
  | { readonly _tag: "Retry"; readonly tier: number; readonly delayMs: number }
  | { readonly _tag: "Park"; readonly reason: string }

/**
 * Transient failures climb the tiers (the n-th retry waits in tier n, the last tier repeats) but
 * never wait less than the failure's floor; permanent failures and exhausted attempts park.
 */
export const decideRetry = (step: Step, attempt: number, failure: StepFailure): RetryDecision => {
  if (!failure.retryable) return { _tag: "Park", reason: failure.reason }
  const lastTier = step.retryTiersMs.at(-1) ?? 0
  // A wait longer than every tier (HubSpot's DAILY cap) is a pause, not a failing attempt: the
  // message keeps cycling through the longest tier until the reset instead of being parked.
  const pausing = (failure.retryAfterMs ?? 0) > lastTier && step.retryTiersMs.length > 0
  if (!pausing && (attempt >= step.maxAttempts || step.retryTiersMs.length === 0)) {
    return { _tag: "Park", reason: `gave up after ${attempt} attempts: ${failure.reason}` }
  }
  const wanted = Math.min(attempt - 1, step.retryTiersMs.length - 1)
  const floor = failure.retryAfterMs ?? 0
  const floorTier = step.retryTiersMs.findIndex((delay) => delay >= floor)
  const tier = Math.max(wanted, floorTier === -1 ? step.retryTiersMs.length - 1 : floorTier)
  return { _tag: "Retry", tier, delayMs: step.retryTiersMs[tier] ?? 0 }
}

/** One parked record per message and step, so parking the same message again updates it. */
export const parkedItem = (
  step: string,
  message: Envelope,
  reason: string,
  firstFailedAt: number,
  now: number
): ParkedItem => ({
  id: `${step}:${message.id}`,
  step,
  message,
  reason,
  attempts: message.attempt,
  firstFailedAt,
  lastFailedAt: now,
  replayedAt: undefined
})
