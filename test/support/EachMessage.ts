// Turns a per-message handler into a BatchHandler, for test consumers and simulators that handle
// one message at a time: the batch's messages run concurrently and each gets its own result.
import { Effect } from "effect"
import type { BatchHandler, Envelope } from "../../src/application/Step.ts"
import type { StepFailure } from "../../src/application/StepFailure.ts"

export const eachMessage =
  <R>(handle: (message: Envelope) => Effect.Effect<void, StepFailure, R>): BatchHandler<R> =>
  (messages) =>
    Effect.forEach(
      messages,
      (message) => handle(message).pipe(Effect.match({ onSuccess: (): StepFailure | undefined => undefined, onFailure: (failure) => failure })),
      { concurrency: "unbounded" }
    )
