// The outbox relay: webhook events are stored first, then claimed in batches of hundreds under one
// lease, published in one confirmed call and marked in one operation. A crash between publish and
// mark republishes the batch after the lease expires; consumers absorb the duplicate.
import { Cause, Clock, Duration, Effect, Layer } from "effect"
import type { CrmChange } from "../domain/CrmChange.ts"
import { OutboxSignal } from "./OutboxSignal.ts"
import { withCrmPartitionKeys } from "./PartitionKeys.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { Metrics } from "./ports/Metrics.ts"
import { WebhookInbox } from "./ports/WebhookInbox.ts"
import { cappedBackoff } from "./RetrySchedules.ts"
import type { OutgoingMessage } from "./Step.ts"

export interface RelayOptions {
  readonly claimant: string
  /** Events per claim, publish and mark: hundreds, so the store does a few operations per batch. */
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

/** Publishes one claimed batch; returns how many went out (0: none pending, or another relay holds the lease). */
export const relayOnce = Effect.fn("relayOnce")(function* (options: RelayOptions) {
  const inbox = yield* WebhookInbox
  const bus = yield* MessageBus
  const now = yield* Clock.currentTimeMillis
  const batch = yield* inbox
    .claim({ limit: options.batchSize, claimant: options.claimant, now, leaseMs: options.leaseMs })
    .pipe(Effect.withSpan("store.inbox.claim"))
  if (batch.events.length === 0) return 0
  // Keyed by the linked commerce object, so flow A and flow C of one pair share a partition.
  const messages = yield* withCrmPartitionKeys(batch.events.map((event) => toMessage(event.change)))
  yield* bus.publish(messages)
  yield* inbox.markPublished(batch).pipe(Effect.withSpan("store.inbox.mark"))
  const metrics = yield* Metrics
  const published = yield* Clock.currentTimeMillis
  yield* metrics.count("outbox_published_total", {}, batch.events.length)
  yield* metrics.observe(
    "outbox_lag_seconds",
    batch.events.map((event) => Math.max(0, published - event.receivedAt) / 1000)
  )
  return batch.events.length
})

/**
 * Drains the outbox without pausing while a backlog exists, sleeps when it is empty, and backs off
 * (capped) while broker or store are down.
 */
export const runRelay = (options: RelayOptions) =>
  // A batch in hand is published and marked before a shutdown stops the relay (bounded by the
  // publish confirm timeout and the store's): interrupted between the two, it would go out twice.
  Effect.uninterruptible(relayOnce(options)).pipe(
    Effect.annotateSpans("lane", "live"),
    Effect.flatMap((sent) => (sent === 0 ? Effect.flatMap(OutboxSignal, (signal) => signal.waitUpTo(options.idleMs)) : Effect.void)),
    Effect.tapError((error) => Effect.logWarning("outbox relay failed; retrying", { error: error.message })),
    Effect.retry(cappedBackoff(Duration.millis(100), Duration.seconds(5))),
    // A defect must not end the relay silently: nothing would publish the outbox any more.
    Effect.catchCause((cause) =>
      Effect.logError("outbox relay crashed; restarting", Cause.pretty(cause)).pipe(Effect.andThen(Effect.sleep(Duration.seconds(1))))
    ),
    Effect.forever
  )

/** The relay as a background worker for the lifetime of the layer. */
export const relayLayer = (options: RelayOptions) => Layer.effectDiscard(Effect.forkScoped(runRelay(options)))
