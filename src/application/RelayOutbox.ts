// The outbox relay: webhook events are stored first, then published with confirms and marked.
// A crash between publish and mark republishes them; consumers absorb the duplicate.
import { Cause, Clock, Duration, Effect, Layer } from "effect"
import type { CrmChange } from "../domain/CrmChange.ts"
import { OutboxSignal } from "./OutboxSignal.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { SyncStore } from "./ports/SyncStore.ts"
import { cappedBackoff } from "./RetrySchedules.ts"
import type { OutgoingMessage } from "./Step.ts"

export interface RelayOptions {
  readonly claimant: string
  readonly batchSize: number
  /** Longer than a publish takes; after it another replica may take the claim over. */
  readonly leaseMs: number
  /** Poll interval when idle; this process's own intake wakes the relay at once. */
  readonly idleMs: number
}

export const crmChangeRoutingKey = (change: CrmChange): string => `crm.${change.objectType}.${change.kind}`

const toMessage = (change: CrmChange): OutgoingMessage => ({
  id: change.key,
  type: crmChangeRoutingKey(change),
  payload: change,
  occurredAt: change.occurredAt,
  lane: "live"
})

/** Publishes one claimed batch; returns how many events went out. */
export const relayOnce = Effect.fn("relayOnce")(function* (options: RelayOptions) {
  const store = yield* SyncStore
  const bus = yield* MessageBus
  const now = yield* Clock.currentTimeMillis
  const pending = yield* store.claimPending(options.batchSize, options.claimant, now, options.leaseMs)
  if (pending.length === 0) return 0
  yield* bus.publish(pending.map((p) => toMessage(p.change)))
  yield* store.markPublished(pending.map((p) => p.change.key))
  return pending.length
})

/** Drains the outbox, sleeps when it is empty, and backs off (capped) while broker or store are down. */
export const runRelay = (options: RelayOptions) =>
  relayOnce(options).pipe(
    Effect.flatMap((sent) => (sent === 0 ? Effect.flatMap(OutboxSignal, (signal) => signal.waitUpTo(options.idleMs)) : Effect.void)),
    Effect.tapError((error) => Effect.logWarning("outbox relay failed; retrying", { error: error.message })),
    Effect.retry(cappedBackoff(Duration.millis(100), Duration.seconds(5))),
    // A defect must not end the relay silently: nothing would publish the outbox any more.
    Effect.catchCause((cause) => Effect.logError("outbox relay crashed; restarting", Cause.pretty(cause)).pipe(Effect.andThen(Effect.sleep(Duration.seconds(1))))),
    Effect.forever
  )

/** The relay as a background worker for the lifetime of the layer. */
export const relayLayer = (options: RelayOptions) => Layer.effectDiscard(Effect.forkScoped(runRelay(options)))
