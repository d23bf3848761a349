// The commerce platform's REST side: look an entity up when an event carries only its id, and
// list ids for the backfill.
import { Context, type Effect, type Option, Schema } from "effect"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"

/** A commerce record as the platform serves it, not yet validated (Validation decides). */
export type UnvalidatedRecord = Readonly<Record<string, unknown>>

export interface FetchedRecord {
  readonly id: string
  readonly record: UnvalidatedRecord
}

export interface IdFilter {
  /** Inclusive lower and upper bounds on the id, compared as the platform orders ids. */
  readonly fromId?: string
  readonly toId?: string
  /** Creation time window, ISO-8601, from inclusive, to exclusive. */
  readonly createdFrom?: string
  readonly createdTo?: string
}
export interface IdPage {
  readonly ids: ReadonlyArray<string>
  /** Opaque cursor for the next page; undefined on the last page. */
  readonly next: string | undefined
}

export class CommerceUnavailable extends Schema.TaggedError<CommerceUnavailable>()("CommerceUnavailable", {
  message: Schema.String,
  status: Schema.optionalKey(Schema.Int)
}) {
  readonly isRetryable = true
}
export class CommerceRejected extends Schema.TaggedError<CommerceRejected>()("CommerceRejected", {
  message: Schema.String,
  status: Schema.Int
}) {
  readonly isRetryable = false
}

export class CommerceApiError extends Schema.TaggedError<CommerceApiError>()("CommerceApiError", {
  reason: Schema.Union([CommerceUnavailable, CommerceRejected])
}) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    return `${this.reason._tag}: ${this.reason.message}`
  }
}

export class CommerceApi extends Context.Service<
  CommerceApi,
  {
    readonly fetch: (entity: CommerceEntity, id: string) => Effect.Effect<Option.Option<UnvalidatedRecord>, CommerceApiError>
    /** Many records at once (events that carry only an id); ids the platform does not serve are left out. */
    readonly fetchMany: (entity: CommerceEntity, ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<FetchedRecord>, CommerceApiError>
    /** Ids in ascending order matching the filter, `limit` at most per page. */
    readonly listIds: (entity: CommerceEntity, filter: IdFilter, cursor: string | undefined, limit: number) => Effect.Effect<IdPage, CommerceApiError>
  }
>()("crm-sync/application/ports/CommerceApi") {}
