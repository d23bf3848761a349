// Until the bus hands whole batches to a step (the step registry), this feeds a BatchHandler
// from a per-message consumer: deliveries that arrive within a short window become one batch,
// and each delivery completes with its own message's result. One batch of a step runs at a
// time, so two batches never decide about the same object at once.
import { Duration, Effect, Exit, Request, RequestResolver, Semaphore } from "effect"
import type { Handler } from "./ports/MessageBus.ts"
import type { BatchHandler, Envelope } from "./Step.ts"
import type { StepFailure } from "./StepFailure.ts"

class Delivery extends Request.Class<{ readonly envelope: Envelope }, void, StepFailure, never> {}

/** Long enough to gather a prefetch's worth of deliveries, short against a batch's own latency. */
const WINDOW = Duration.millis(10)

export const perMessage = Effect.fn("perMessage")(function* (handler: BatchHandler) {
  const oneAtATime = yield* Semaphore.make(1)
  const resolver = RequestResolver.make<Delivery>((entries) =>
    oneAtATime.withPermits(1)(
      Effect.map(Effect.exit(handler(entries.map((e) => e.request.envelope))), (exit) => {
        entries.forEach((entry, i) => {
          const failure = Exit.isSuccess(exit) ? exit.value[i] : undefined
          entry.completeUnsafe(Exit.isFailure(exit) ? Exit.failCause(exit.cause) : failure === undefined ? Exit.void : Exit.fail(failure))
        })
      })
    )
  ).pipe(RequestResolver.setDelay(WINDOW))
  const deliver: Handler = (envelope) => Effect.request(new Delivery({ envelope }), resolver)
  return deliver
})
