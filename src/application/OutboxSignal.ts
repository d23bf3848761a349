// Wakes this process's outbox relay as soon as intake stores events, so live sync does not wait
// for the next poll. Other replicas' events are still picked up by polling.
import { Context, Duration, Effect, Layer, Queue } from "effect"

export class OutboxSignal extends Context.Service<
  OutboxSignal,
  {
    readonly notify: Effect.Effect<void>
    /** Returns on the next notify, or after `ms` at the latest. */
    readonly waitUpTo: (ms: number) => Effect.Effect<void>
  }
>()("crm-sync/application/OutboxSignal") {
  static readonly layer = Layer.effect(
    OutboxSignal,
    Effect.gen(function* () {
      // One pending wake-up is enough: the relay drains everything stored before it runs.
      const wakeups = yield* Queue.sliding<void>(1)
      return OutboxSignal.of({
        notify: Effect.asVoid(Queue.offer(wakeups, undefined)),
        waitUpTo: (ms) => Effect.asVoid(Effect.timeoutOption(Queue.take(wakeups), Duration.millis(ms)))
      })
    })
  )
}
