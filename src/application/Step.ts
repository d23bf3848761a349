import type { Effect } from "effect"
import type { LaneName } from "./Lane.ts"
import type { StepFailure } from "./StepFailure.ts"

/**
 * A consumer step: its queue, the routing keys it binds, and its own retry policy. The bus
 * adapters build their topology (queues, retry tiers, parking) from these declarations.
 */
export interface Step {
  readonly name: string
  readonly bindings: ReadonlyArray<string>
  /** Delays of the retry tiers, shortest first (e.g. 1 s, 10 s, 1 min, 10 min). */
  readonly retryTiersMs: ReadonlyArray<number>
  /** Handler attempts before a transient failure is parked. */
  readonly maxAttempts: number
  /** Deliveries a crash-looping handler may consume before the broker dead-letters (x-delivery-limit). */
  readonly deliveryLimit: number
  readonly prefetch: number
  /** How long the bus gathers deliveries into one batch after the first arrives (default 15 ms). */
  readonly batchWindowMs?: number
  /** The backfill lane's window (default `batchWindowMs`): there full batches count, not latency. */
  readonly backfillBatchWindowMs?: number
  /**
   * The object a message is about, shared by both directions of one linked pair (`user:u-5`):
   * the bus keeps one key's messages on one partition, owned by one replica at a time. Used when
   * the envelope carries no `partitionKey` of its own; undefined spreads by message id.
   */
  readonly partitionKeyOf?: (message: Envelope) => string | undefined
}

export const defaultBatchWindowMs = 15

/** How long a lane's deliveries are gathered into one batch after the first arrives. */
export const batchWindowOf = (step: Step, lane: LaneName): number =>
  (lane === "backfill" ? step.backfillBatchWindowMs : undefined) ?? step.batchWindowMs ?? defaultBatchWindowMs

export interface Envelope {
  readonly id: string
  /** Routing key, e.g. "crm.company.changed" or "commerce.user_created". */
  readonly type: string
  readonly payload: unknown
  readonly occurredAt: number
  readonly lane: LaneName
  /** 1 on first delivery to a handler; carried in a header across retry tiers. */
  readonly attempt: number
  /** Set by the publisher when it knows the object better than the step's `partitionKeyOf` (the outbox relay). */
  readonly partitionKey?: string
}

export type OutgoingMessage = Omit<Envelope, "attempt">

/**
 * What a step's batch handler says about each message of its batch, in input order: `undefined`
 * when it is done, a StepFailure to retry or park that message alone (its neighbours are not
 * touched). A failure of the whole effect (e.g. the store is down) applies to every message.
 */
export type BatchResult = ReadonlyArray<StepFailure | undefined>
export type BatchHandler<R = never> = (messages: ReadonlyArray<Envelope>) => Effect.Effect<BatchResult, StepFailure, R>
