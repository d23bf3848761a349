// Runs a step on the bus: hands each batch to the step's BatchHandler, decides per message with
// RetryDecision (ack, retry tier, park), records parked messages and returns one settlement each.
import { Cause, Clock, Effect, Exit, Option } from "effect"
import { handledDeliveries } from "./HandledDeliveries.ts"
import { Lane, type LaneName } from "./Lane.ts"
import { asLive } from "./LiveFirst.ts"
import { type Delivery, MessageBus, type Settlement } from "./ports/MessageBus.ts"
import { type ParkedItem, ParkedItems } from "./ports/ParkedItems.ts"
import { decideRetry, parkedItem } from "./RetryDecision.ts"
import { cappedBackoff } from "./RetrySchedules.ts"
import type { BatchHandler, Step } from "./Step.ts"
import type { StepFailure } from "./StepFailure.ts"
import { recordBatch } from "./StepMetrics.ts"

const ack: Settlement = { _tag: "Ack" }
const giveBack: Settlement = { _tag: "Return" }

/** The handler's verdict on each delivery: a result, or `"died"` when it crashed on that one alone. */
type Outcome = StepFailure | undefined | "died"

// A batch whose handler dies is split: each message runs alone, so only a crashing one is
// returned (and climbs toward the delivery limit), never its neighbours.
const outcomes = <R>(handler: BatchHandler<R>, batch: ReadonlyArray<Delivery>): Effect.Effect<ReadonlyArray<Outcome>, never, R> =>
  handler(batch.map((d) => d.envelope)).pipe(
    Effect.exit,
    Effect.flatMap((exit): Effect.Effect<ReadonlyArray<Outcome>, never, R> => {
      if (Exit.isSuccess(exit) && exit.value.length === batch.length) return Effect.succeed(exit.value)
      const failure = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
      if (Option.isSome(failure)) return Effect.succeed(batch.map(() => failure.value))
      const why = Exit.isSuccess(exit) ? `returned ${exit.value.length} results for ${batch.length} messages` : Cause.pretty(exit.cause)
      if (batch.length === 1) return Effect.logError(`a handler died on one message; returning it: ${why}`).pipe(Effect.as(["died" as const]))
      return Effect.logWarning(`a handler died on a batch of ${batch.length}; handling each alone: ${why}`).pipe(
        // One at a time, in order: two versions of one object must not race each other here.
        Effect.andThen(Effect.forEach(batch, (one) => outcomes(handler, [one]).pipe(Effect.map((o) => o[0])), { concurrency: 1 }))
      )
    })
  )

interface Verdict {
  readonly settlement: Settlement
  readonly parked: ParkedItem | undefined
}

const verdict = (step: Step, delivery: Delivery, outcome: Outcome, now: number): Verdict => {
  if (outcome === undefined) return { settlement: ack, parked: undefined }
  if (outcome === "died") return { settlement: giveBack, parked: undefined }
  const { envelope } = delivery
  const firstFailedAt = delivery.firstFailedAt ?? now
  const decision = decideRetry(step, envelope.attempt, outcome)
  if (decision._tag === "Park") return park(step, delivery, decision.reason, now)
  const attempt = decision.pause ? envelope.attempt : envelope.attempt + 1
  return { settlement: { _tag: "Retry", delayMs: decision.delayMs, attempt, firstFailedAt }, parked: undefined }
}

const park = (step: Step, delivery: Delivery, reason: string, now: number): Verdict => ({
  settlement: { _tag: "Park", reason },
  parked: parkedItem(step.name, delivery.envelope, reason, delivery.firstFailedAt ?? now, now)
})

// Parked messages are recorded before the bus moves them; if the record fails they come back
// after the first tier with the same attempt, so the next try decides again.
const recordParked = (step: Step, verdicts: ReadonlyArray<Verdict>) => {
  const items = verdicts.flatMap((v) => (v.parked === undefined ? [] : [v.parked]))
  if (items.length === 0) return Effect.succeed(verdicts.map((v) => v.settlement))
  const later = (v: Verdict): Settlement =>
    v.parked === undefined
      ? v.settlement
      : { _tag: "Retry", delayMs: step.retryTiersMs[0] ?? 1_000, attempt: v.parked.message.attempt, firstFailedAt: v.parked.firstFailedAt }
  return Effect.flatMap(ParkedItems, (parked) => parked.park(items)).pipe(
    Effect.as(verdicts.map((v) => v.settlement)),
    Effect.catch((error) =>
      Effect.logWarning(`recording ${items.length} parked messages of ${step.name} failed; retrying them later`, error).pipe(Effect.as(verdicts.map(later)))
    )
  )
}

/**
 * The lane a batch's work spends the CRM budget in: the backfill's only when every message is the
 * backfill's (what a page caused, e.g. the ids the shop assigned to its records), else live.
 */
export const laneOfBatch = (batch: ReadonlyArray<Delivery>): LaneName =>
  batch.length > 0 && batch.every((d) => d.envelope.lane === "backfill") ? "backfill" : "live"

/**
 * Settles one batch of `step`: one settlement per delivery, in order. An exact copy of a delivery
 * this step acked lately is acked again without running the handler (HandledDeliveries).
 */
export const settleBatch = <R>(step: Step, handler: BatchHandler<R>) => {
  const handled = handledDeliveries()
  return Effect.fnUntraced(function* (batch: ReadonlyArray<Delivery>) {
    const started = yield* Clock.currentTimeMillis
    const copy = batch.map((d) => !d.undecodable && handled.seen(d.envelope, started))
    const readable = batch.filter((d, i) => !d.undecodable && !copy[i])
    const lane = laneOfBatch(readable)
    const work = outcomes(handler, readable).pipe(Effect.provideService(Lane, lane), Effect.annotateSpans("lane", lane))
    const results = readable.length === 0 ? [] : yield* lane === "live" ? asLive(work) : work
    const now = yield* Clock.currentTimeMillis
    let next = 0
    const verdicts = batch.map(
      (d, i): Verdict =>
        d.undecodable
          ? park(step, d, "undecodable message body", now)
          : copy[i]
            ? { settlement: ack, parked: undefined }
            : verdict(step, d, results[next++], now)
    )
    const settlements = yield* recordParked(step, verdicts)
    handled.remember(
      batch.flatMap((d, i) => (!d.undecodable && !copy[i] && settlements[i]?._tag === "Ack" ? [d.envelope] : [])),
      now
    )
    yield* recordBatch(step, batch, settlements, now - started, now)
    return settlements
  })
}

/** Consumes `step` in batches until the scope closes. */
export const runStep = Effect.fn("StepRunner.runStep")(function* <R>(step: Step, handler: BatchHandler<R>) {
  const bus = yield* MessageBus
  const context = yield* Effect.context<ParkedItems | R>()
  const settle = settleBatch(step, handler)
  yield* bus.consume(step, (batch) => settle(batch).pipe(Effect.provideContext(context)))
})

/**
 * Records what the bus dead-lettered itself (a handler that kept crashing) as parked under the
 * step that gave up. Store outages are waited out with backoff; the bus removes a letter only
 * once it is recorded.
 */
export const recordDeadLetters = Effect.fn("StepRunner.recordDeadLetters")(function* () {
  const bus = yield* MessageBus
  const parked = yield* ParkedItems
  yield* bus.deadLetters((letters) =>
    Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => parked.park(letters.map((l) => parkedItem(l.step, l.envelope, l.reason, l.firstFailedAt ?? now, now)))),
      Effect.tapError((error) => Effect.logWarning(`recording ${letters.length} dead letters failed; retrying`, error)),
      Effect.retry({ schedule: cappedBackoff("200 millis", "30 seconds"), while: (error) => error.isRetryable })
    )
  )
})
