// Messages between the steps and to/from the commerce platform, with at-least-once delivery.
import { Context, type Effect, Schema, type Scope } from "effect"
import type { Envelope, OutgoingMessage, Step } from "../Step.ts"
import type { StepFailure } from "../StepFailure.ts"

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

export type Handler = (message: Envelope) => Effect.Effect<void, StepFailure>

export class MessageBus extends Context.Service<
  MessageBus,
  {
    /**
     * Succeeds only once the broker has confirmed every message (persistent). A routing key no
     * step binds is accepted and dropped, as a topic exchange does.
     */
    readonly publish: (messages: ReadonlyArray<OutgoingMessage>) => Effect.Effect<void, MessageBusError>
    /**
     * Declares the step's queues, attaches a consumer and returns; consumption goes on in the
     * background until the scope closes. Success acks; a retryable StepFailure
     * goes to the next retry tier (confirmed, then acked); the rest are parked and recorded in
     * the SyncStore. Closing the scope stops intake and lets in-flight handlers finish.
     */
    readonly consume: (step: Step, handler: Handler) => Effect.Effect<void, MessageBusError, Scope.Scope>
    /** Puts a parked message back on its (declared) step's queue with a fresh attempt count. */
    readonly replay: (step: string, message: Envelope) => Effect.Effect<void, MessageBusError>
  }
>()("crm-sync/application/ports/MessageBus") {}
