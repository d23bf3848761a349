// Wakes this process's outbox relay as soon as intake stores events, so live sync does not wait
// for the next poll, and hands it what was stored, so it can publish that at once instead of
// claiming it back from the store. Other replicas' events are still picked up by polling.
import { Context, Duration, Effect, Layer, Queue } from "effect"
import type { PendingEvent } from "./ports/WebhookInbox.ts"

/** Events stored and not yet taken by the relay's fast path; beyond it they wait for a claim. */
const FRESH_CAPACITY = 10_000

export class OutboxSignal extends Context.Service<
  OutboxSignal,
  {
    readonly notify: Effect.Effect<void>
    /** Returns on the next notify, or after `ms` at the latest. */
    readonly waitUpTo: (ms: number) => Effect.Effect<void>
    /** Intake stored these events, for the relay's fast path; what it cannot hold wakes the claim loop instead. */
    readonly stored: (events: ReadonlyArray<PendingEvent>) => Effect.Effect<void>
    /** Waits for events intake stored, then takes what is there (at most `max`). */
    readonly fresh: (max: number) => Effect.Effect<ReadonlyArray<PendingEvent>>
  }
>()("crm-sync/application/OutboxSignal") {
  static readonly layer = Layer.effect(
    OutboxSignal,
    Effect.gen(function* () {
      // One pending wake-up is enough: the relay drains everything stored before it runs.
      const wakeups = yield* Queue.sliding<void>(1)
      // Full, the newest are dropped: they are stored, and the relay's claim publishes them.
      const events = yield* Queue.dropping<PendingEvent>(FRESH_CAPACITY)
      const notify = Effect.asVoid(Queue.offer(wakeups, undefined))
      return OutboxSignal.of({
        notify,
        waitUpTo: (ms) => Effect.asVoid(Effect.timeoutOption(Queue.take(wakeups), Duration.millis(ms))),
        // The claim loop is woken only for what the fast path will not take: waking it for every
        // request would have it claim the same events back from the store, three round trips each.
        stored: (stored) => Effect.flatMap(Queue.offerAll(events, stored), (left) => (left.length > 0 ? notify : Effect.void)),
        fresh: (max) => Queue.takeBetween(events, 1, max)
      })
    })
  )
}
