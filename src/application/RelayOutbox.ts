// The outbox relay: webhook events are stored first, then published and deleted. This process's
// own intake hands what it stored to a fast path that publishes it at once; a claim loop takes, in
// batches of hundreds under one lease, whatever is left (another replica's, or what the fast path
// failed on), publishes it in one confirmed call and marks it in one operation. A crash between
// publish and mark republishes; consumers absorb the duplicate.
import { Cause, Clock, Duration, Effect, Layer } from "effect"
import type { CrmChange } from "../domain/CrmChange.ts"
import { asLive } from "./LiveFirst.ts"
import { OutboxSignal } from "./OutboxSignal.ts"
import { withCrmPartitionKeys } from "./PartitionKeys.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { Metrics } from "./ports/Metrics.ts"
import { type PendingEvent, UNCLAIMED, WebhookInbox } from "./ports/WebhookInbox.ts"
import { cappedBackoff } from "./RetrySchedules.ts"
import type { OutgoingMessage } from "./Step.ts"
import { TakenEvents } from "./TakenEvents.ts"

export interface RelayOptions {
  readonly claimant: string
  /** Events per claim, publish and mark: hundreds, so the store does a few operations per batch. */
  readonly batchSize: number
  /** Longer than a publish takes; after it another replica may take the claim over. */
  readonly leaseMs: number
  /** Poll interval when idle; this process's own intake wakes the relay at once. */
  readonly idleMs: number
  /**
   * The claim loop leaves events this young to the fast path of the replica that stored them
   * (another replica's claim would publish them a second time); past it, it takes them over.
   */
  readonly freshGraceMs?: number
}

export const crmChangeRoutingKey = (change: CrmChange): string => `crm.${change.objectType}.${change.kind}`

const toMessage = (change: CrmChange): OutgoingMessage => ({
  id: change.key,
  type: crmChangeRoutingKey(change),
  payload: change,
  occurredAt: change.occurredAt,
  lane: "live"
})

/** Publishes events this process took, counting them; if the publish fails they are free again. */
const publishTaken = Effect.fnUntraced(function* (taken: TakenEvents, events: ReadonlyArray<PendingEvent>) {
  if (events.length === 0) return
  // Keyed by the linked commerce object, so flow A and flow C of one pair share a partition.
  yield* Effect.flatMap(withCrmPartitionKeys(events.map((event) => toMessage(event.change))), (messages) =>
    Effect.flatMap(MessageBus, (bus) => bus.publish(messages))
  ).pipe(Effect.onError(() => Effect.sync(() => taken.failed(events))))
  taken.done(events)
  const metrics = yield* Metrics
  const published = yield* Clock.currentTimeMillis
  yield* metrics.count("outbox_published_total", {}, events.length)
  yield* metrics.observe(
    "outbox_lag_seconds",
    events.map((event) => Math.max(0, published - event.receivedAt) / 1000)
  )
})

/** Publishes one claimed batch; returns how many went out (0: none pending, or another relay holds the lease). */
export const relayOnce = Effect.fn("relayOnce")(function* (options: RelayOptions, taken: TakenEvents = new TakenEvents()) {
  const inbox = yield* WebhookInbox
  const now = yield* Clock.currentTimeMillis
  // Events younger than the grace are left to the fast path of the replica that stored them.
  const receivedBy = options.freshGraceMs === undefined ? undefined : now - options.freshGraceMs
  const batch = yield* inbox
    .claim({ limit: options.batchSize, claimant: options.claimant, now, leaseMs: options.leaseMs, ...(receivedBy === undefined ? {} : { receivedBy }) })
    .pipe(Effect.withSpan("store.inbox.claim"))
  if (batch.events.length === 0) return 0
  // What the fast path published already is only marked; what it is publishing stays pending.
  const before = taken.published(batch.events)
  const mine = taken.take(batch.events)
  yield* publishTaken(taken, mine)
  yield* inbox.markPublished({ lease: batch.lease, events: [...before, ...mine] }).pipe(Effect.withSpan("store.inbox.mark"))
  return mine.length
})

/**
 * The fast path: what this process's intake stored is published at once, without claiming it back
 * from the store (three round trips) or waiting for the claim loop's batch in hand, then marked
 * without a lease. What it could not publish stays pending, for the claim loop (after the grace).
 */
export const relayFresh = Effect.fn("relayFresh")(function* (fresh: ReadonlyArray<PendingEvent>, taken: TakenEvents) {
  const inbox = yield* WebhookInbox
  const mine = taken.take(fresh)
  yield* publishTaken(taken, mine)
  if (mine.length > 0) yield* inbox.markPublished({ lease: UNCLAIMED, events: mine }).pipe(Effect.withSpan("store.inbox.mark"))
  return mine.length
})

/**
 * Drains the outbox without pausing while a backlog exists, sleeps when it is empty, and backs off
 * (capped) while broker or store are down.
 */
export const runRelay = (options: RelayOptions, taken: TakenEvents = new TakenEvents()) =>
  // A batch in hand is published and marked before a shutdown stops the relay (bounded by the
  // publish confirm timeout and the store's): interrupted between the two, it would go out twice.
  Effect.uninterruptible(relayOnce(options, taken)).pipe(
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

/**
 * The fast path for the lifetime of its fiber. The wait for events is interruptible; taking,
 * publishing and marking them is not (interrupted after the publish, they would go out again).
 * A failed batch is tried again with the claim loop's backoff for a few seconds (a broker back
 * from an outage gets them at once, not after the claim loop's grace); then it is left to that loop.
 */
export const runFresh = (options: RelayOptions, taken: TakenEvents) =>
  Effect.flatMap(OutboxSignal, (signal) => signal.fresh(options.batchSize)).pipe(
    Effect.flatMap((fresh) =>
      Effect.uninterruptible(asLive(relayFresh(fresh, taken))).pipe(
        Effect.annotateSpans("lane", "live"),
        Effect.retry({ schedule: cappedBackoff(Duration.millis(100), Duration.seconds(2)), times: FRESH_RETRIES }),
        Effect.catchCause((cause) =>
          Effect.logWarning("outbox fast path failed; the relay's claim loop publishes those events", { cause: Cause.pretty(cause) })
        )
      )
    ),
    Effect.forever
  )
/** About 8 s of tries (0.1, 0.2, 0.4, 0.8, 1.6, then 2 s apart): under the claim loop's 10 s grace. */
const FRESH_RETRIES = 7

/** The relay (its claim loop and its fast path) as background workers for the lifetime of the layer. */
export const relayLayer = (options: RelayOptions) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const taken = new TakenEvents()
      yield* Effect.forkScoped(runRelay(options, taken))
      yield* Effect.forkScoped(runFresh(options, taken))
    })
  )
