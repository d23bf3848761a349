// The one error of every store port: whether the store was unreachable (retry) or refused the
// operation (a bug or bad data: park).
import { type Effect, Schema } from "effect"

export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", { message: Schema.String }) {
  readonly isRetryable = true
}
export class StoreRejected extends Schema.TaggedError<StoreRejected>()("StoreRejected", { message: Schema.String }) {
  readonly isRetryable = false
}
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  reason: Schema.Union([StoreUnavailable, StoreRejected])
}) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    return `${this.reason._tag}: ${this.reason.message}`
  }
}

export type StoreOp<A> = Effect.Effect<A, StoreError>
