// Turns a per-message handler into a BatchHandler until the batch use cases replace them: the
// batch's messages run concurrently and each gets its own result, so behaviour stays the same.
import { Effect } from "effect"
import type { BatchHandler, Envelope } from "./Step.ts"
import type { StepFailure } from "./StepFailure.ts"

export const eachMessage =
  <R>(handle: (message: Envelope) => Effect.Effect<void, StepFailure, R>): BatchHandler<R> =>
  (messages) =>
    Effect.forEach(
      messages,
      (message) => handle(message).pipe(Effect.match({ onSuccess: (): StepFailure | undefined => undefined, onFailure: (failure) => failure })),
      { concurrency: "unbounded" }
    )
