import { Schema } from "effect"

/**
 * What a step handler fails with. Use cases map their ports' errors into it: retryable ones go
 * through the retry tiers, the others are parked with their reason and never retried.
 */
export class StepFailure extends Schema.TaggedError<StepFailure>()("StepFailure", {
  retryable: Schema.Boolean,
  reason: Schema.String,
  /** A floor on the next attempt's delay: the wait a port's error asked for (a CRM's Retry-After). */
  retryAfterMs: Schema.optionalKey(Schema.Finite),
  /** Waiting for something else (another replica's lease), not failing: no attempt is spent. */
  pause: Schema.optionalKey(Schema.Boolean)
}) {
  override get message(): string {
    return this.reason
  }
}

/** A port's error: its retryability, its message, and a reason that may name a wait. */
export interface PortError {
  readonly isRetryable: boolean
  readonly message: string
  readonly reason?: unknown
}

// Any reason that implies a wait (throttled, quota exhausted, a busy CRM) carries `retryAfterMs`.
const floorOf = (reason: unknown): number | undefined =>
  typeof reason === "object" && reason !== null && "retryAfterMs" in reason && typeof reason.retryAfterMs === "number" ? reason.retryAfterMs : undefined

// A reason naming a reset (a spent daily quota) is a wait for the reset or the next probe of the
// CRM's count, not a failed attempt: however often it is asked again, the message is not parked.
const isQuota = (reason: unknown): boolean => typeof reason === "object" && reason !== null && "resetAt" in reason && typeof reason.resetAt === "number"

export const fromError = (error: PortError): StepFailure => {
  const floor = floorOf(error.reason)
  return new StepFailure({
    retryable: error.isRetryable,
    reason: error.message,
    ...(floor === undefined ? {} : { retryAfterMs: floor }),
    ...(isQuota(error.reason) ? { pause: true } : {})
  })
}

/** One record a batch write refused: retried only when the other side answered nothing for it. */
export const fromRejection = (what: string, rejection: { readonly retryable: boolean; readonly message: string }): StepFailure =>
  new StepFailure({ retryable: rejection.retryable, reason: `the CRM refused ${what}: ${rejection.message}` })

/** A handler's last step: its own StepFailures pass through, port errors keep their retryability. */
export const toStepFailure = (error: StepFailure | PortError): StepFailure => (error instanceof StepFailure ? error : fromError(error))
