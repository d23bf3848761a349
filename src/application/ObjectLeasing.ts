// Runs a batch handler holding the lease of every object its messages touch (issue 9 #8): across
// replicas one batch at a time writes an object, and it takes the lease before it reads what it
// decides on, so a newer version written by another replica is seen, never overwritten by an
// older one landing last. A message whose object another replica holds waits in a retry tier.
// Without an ObjectLeases service (one process) the handler runs as is.
import { Clock, Effect, Option } from "effect"
import { ObjectLeases } from "./ports/ObjectLeases.ts"
import type { BatchHandler, BatchResult, Envelope } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"

/**
 * Longer than a batch's writes take (HubSpot calls are aborted at their timeout), short enough
 * that a killed replica's objects are free again soon: its messages wait without spending attempts.
 */
export const OBJECT_LEASE_MS = 30_000

export const leasedPerObject =
  <R>(keyOf: (message: Envelope) => string | undefined, handler: BatchHandler<R>): BatchHandler<R> =>
  (messages) =>
    Effect.gen(function* () {
      const service = yield* Effect.serviceOption(ObjectLeases)
      if (Option.isNone(service)) return yield* handler(messages)
      const leases = service.value
      const keys = messages.map(keyOf)
      const wanted = [...new Set(keys.filter((k): k is string => k !== undefined))]
      const holder = crypto.randomUUID()
      const now = yield* Clock.currentTimeMillis
      const taken =
        wanted.length === 0
          ? new Set<string>()
          : yield* leases
              .take({ keys: wanted, holder, now, leaseMs: OBJECT_LEASE_MS })
              .pipe(Effect.mapError(toStepFailure), Effect.withSpan("store.takeLeases"))
      const run = Effect.gen(function* () {
        const free = messages.flatMap((_, i) => (keys[i] === undefined || taken.has(keys[i]) ? [i] : []))
        const results = free.length === 0 ? [] : yield* handler(free.map((i) => messages[i] as Envelope))
        // Failures made only for the held messages: a backfill page holds a thousand, most free.
        const result = new Map(free.map((i, j) => [i, results[j]] as const))
        return messages.map((_, i) =>
          result.has(i) ? result.get(i) : new StepFailure({ retryable: true, pause: true, reason: `${keys[i]} is being written by another replica` })
        ) as BatchResult
      })
      return yield* run.pipe(Effect.ensuring(Effect.ignore(leases.release([...taken], holder).pipe(Effect.withSpan("store.releaseLeases")))))
    })
