import { Schema } from "effect"

/**
 * What a step handler fails with. Use cases map their ports' errors into it: retryable ones go
 * through the retry tiers, the others are parked with their reason and never retried.
 */
export class StepFailure extends Schema.TaggedError<StepFailure>()("StepFailure", {
  retryable: Schema.Boolean,
  reason: Schema.String,
  /** A floor on the next attempt's delay (HubSpot's Retry-After, 423's 2 s). */
  retryAfterMs: Schema.optionalKey(Schema.Finite)
}) {
  override get message(): string {
    return this.reason
  }
}

export const fromError = (error: { readonly isRetryable: boolean; readonly message: string; readonly reason?: unknown }): StepFailure => {
  const floor = typeof error.reason === "object" && error.reason !== null && "retryAfterMs" in error.reason ? error.reason.retryAfterMs : undefined
  return new StepFailure({
    retryable: error.isRetryable,
    reason: error.message,
    ...(typeof floor === "number" ? { retryAfterMs: floor } : {})
  })
}

/** A handler's last step: its own StepFailures pass through, port errors keep their retryability. */
export const toStepFailure = (error: StepFailure | { readonly isRetryable: boolean; readonly message: string; readonly reason?: unknown }): StepFailure =>
  error instanceof StepFailure ? error : fromError(error)
