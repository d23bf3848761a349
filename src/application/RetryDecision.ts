// What happens to a message whose handler failed: the one policy the StepRunner follows.
import type { ParkedItem } from "./ports/ParkedItems.ts"
import type { Envelope, Step } from "./Step.ts"
import type { StepFailure } from "./StepFailure.ts"

export type RetryDecision =
  /** `pause`: a wait, not a failed attempt, so the attempt count does not grow. */
  { readonly _tag: "Retry"; readonly tier: number; readonly delayMs: number; readonly pause: boolean } | { readonly _tag: "Park"; readonly reason: string }

/**
 * Transient failures climb the tiers (the n-th retry waits in tier n, the last tier repeats) but
 * never wait less than the failure's floor; permanent failures and exhausted attempts park.
 */
export const decideRetry = (step: Step, attempt: number, failure: StepFailure): RetryDecision => {
  if (!failure.retryable) return { _tag: "Park", reason: failure.reason }
  const lastTier = step.retryTiersMs.at(-1) ?? 0
  // A wait longer than every tier (a daily quota, a long Retry-After) is a pause, not a failing
  // attempt: the message cycles through the longest tier until the reset, keeping its attempts
  // for the ordinary errors that may follow.
  const pause = step.retryTiersMs.length > 0 && (failure.pause === true || (failure.retryAfterMs ?? 0) > lastTier)
  if (!pause && (attempt >= step.maxAttempts || step.retryTiersMs.length === 0)) {
    return { _tag: "Park", reason: `gave up after ${attempt} attempts: ${failure.reason}` }
  }
  const wanted = Math.min(attempt - 1, step.retryTiersMs.length - 1)
  const floor = failure.retryAfterMs ?? 0
  const floorTier = step.retryTiersMs.findIndex((delay) => delay >= floor)
  const tier = Math.max(wanted, floorTier === -1 ? step.retryTiersMs.length - 1 : floorTier)
  return { _tag: "Retry", tier, delayMs: step.retryTiersMs[tier] ?? 0, pause }
}

/** One parked record per message and step, so parking the same message again updates it. */
export const parkedItem = (step: string, message: Envelope, reason: string, firstFailedAt: number, now: number): ParkedItem => ({
  id: `${step}:${message.id}`,
  step,
  message,
  reason,
  attempts: message.attempt,
  firstFailedAt,
  lastFailedAt: now,
  replayedAt: undefined
})
