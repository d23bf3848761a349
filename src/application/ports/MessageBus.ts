// Messages between the steps and to/from the commerce platform, with at-least-once delivery.
// The bus moves and settles messages; what to do with a failure is decided by the StepRunner.
import { Context, type Effect, Schema, type Scope } from "effect"
import type { Envelope, OutgoingMessage, Step } from "../Step.ts"

export class BusUnavailable extends Schema.TaggedError<BusUnavailable>()("BusUnavailable", { message: Schema.String }) {
  readonly isRetryable = true
}
/** The broker refused the message (nack, full queue with reject-publish, unroutable). */
export class BusRejected extends Schema.TaggedError<BusRejected>()("BusRejected", { message: Schema.String }) {
  readonly isRetryable = true
}

export class MessageBusError extends Schema.TaggedError<MessageBusError>()("MessageBusError", {
  reason: Schema.Union([BusUnavailable, BusRejected])
}) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    return `${this.reason._tag}: ${this.reason.message}`
  }
}

/** One message handed to a step, with what the bus carried across its retries. */
export interface Delivery {
  readonly envelope: Envelope
  /** When the message first failed (kept across retry tiers); undefined before its first failure. */
  readonly firstFailedAt: number | undefined
  /** Set when the bus could not decode the message: it is parked without running the handler. */
  readonly undecodable: boolean
}

/** What becomes of one delivery; the runner returns one per delivery, in order. */
export type Settlement =
  | { readonly _tag: "Ack" }
  /** Redeliver after `delayMs` (one of the step's retry tiers) carrying `attempt` and `firstFailedAt`. */
  | { readonly _tag: "Retry"; readonly delayMs: number; readonly attempt: number; readonly firstFailedAt: number }
  /** Move to parking with its reason (the runner has recorded it already). */
  | { readonly _tag: "Park"; readonly reason: string }
  /** Give back at once, like a crashed consumer: counts toward the step's delivery limit. */
  | { readonly _tag: "Return" }

/** Settles a batch: one settlement per delivery, in order. If it dies, every delivery is returned. */
export type BatchConsumer = (batch: ReadonlyArray<Delivery>) => Effect.Effect<ReadonlyArray<Settlement>>

/** A message the bus dead-lettered by itself (a step's delivery limit was reached). */
export interface DeadLetter {
  /** The step whose queue gave up on it. */
  readonly step: string
  readonly envelope: Envelope
  readonly reason: string
  readonly firstFailedAt: number | undefined
}

/** How many messages wait in one of the bus's queues (for operators). */
export interface QueueDepth {
  /** The step the queue serves; undefined for the shared parking and dead-letter queues. */
  readonly step: string | undefined
  /** "main", a retry tier "retry-<delay>ms", "parking" or "dead-letters". */
  readonly queue: string
  readonly messages: number
  readonly consumers: number
}

export class MessageBus extends Context.Service<
  MessageBus,
  {
    /**
     * Succeeds only once the broker has confirmed every message (persistent). A message for the
     * platform (`tocommerce.*`) goes to the durable queue declared for its kind and must reach a
     * queue: one that reaches none fails the publish with `BusRejected` (unroutable). Another
     * routing key no step binds is accepted and dropped, as a topic exchange does.
     */
    readonly publish: (messages: ReadonlyArray<OutgoingMessage>) => Effect.Effect<void, MessageBusError>
    /**
     * Declares the step's queues, attaches a consumer and returns; consumption goes on in the
     * background until the scope closes. Deliveries are handed over in batches of up to
     * `step.prefetch`, gathered for `step.batchWindowMs`, and each is settled as `onBatch` says.
     * Closing the scope stops intake and lets the batch in flight finish and settle.
     * A batch holds one lane's messages (the envelope's `lane`), one batch at a time per lane:
     * live batches never wait for backfill ones, and a backfill batch starts only while no live
     * delivery waits. Messages with one partition key (the envelope's `partitionKey`, else
     * `step.partitionKeyOf`) reach `onBatch` in the order they were published within a lane;
     * batches (of any step or lane) sharing a partition key are never handled side by side.
     */
    readonly consume: (step: Step, onBatch: BatchConsumer) => Effect.Effect<void, MessageBusError, Scope.Scope>
    /**
     * Hands what the bus dead-lettered to `record` in batches; a letter is removed only after
     * `record` succeeded, and handed over again (after a pause) when it failed.
     */
    readonly deadLetters: <E>(record: (letters: ReadonlyArray<DeadLetter>) => Effect.Effect<void, E>) => Effect.Effect<void, MessageBusError, Scope.Scope>
    /** Puts a parked message back on its (declared) step's queue with a fresh attempt count. */
    readonly replay: (step: string, message: Envelope) => Effect.Effect<void, MessageBusError>
    /** Depth of every declared step queue, retry tier and the parking queue. */
    readonly depths: Effect.Effect<ReadonlyArray<QueueDepth>, MessageBusError>
    /** For readiness: connected, and every consumer attached. */
    readonly ready: Effect.Effect<boolean>
    /** How many partitions each step's work is split into (the same on every replica). */
    readonly partitions: number
    /**
     * Sets the partition indexes this process consumes, for every step it consumes. Indexes it
     * gains are attached in the background; each index it loses is released before this returns:
     * intake stops, the batches in flight and those already received are handled and settled, the
     * consumers are closed, and only then may another process's consumer of that index take over.
     * Messages of an index nobody holds wait; none is lost.
     */
    readonly assign: (indexes: ReadonlyArray<number>) => Effect.Effect<void>
    /** The indexes assigned and attached (sorted), as readiness reports them. */
    readonly held: Effect.Effect<ReadonlyArray<number>>
  }
>()("crm-sync/application/ports/MessageBus") {}
