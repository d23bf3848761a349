// The CRM as the sync needs it: batch reads with associations, batch upserts keyed by the commerce
// id, property updates, links, and a modified-since scan. Vendor-neutral: ids are opaque strings,
// errors say only whether and how long to wait; each adapter maps its CRM's answers onto them.
import { Context, type Effect, Schema } from "effect"
import type { Company } from "../../domain/Company.ts"
import type { Contact } from "../../domain/Contact.ts"
import type { CrmObjectType, CrmProperties } from "../../domain/CrmProperties.ts"
import type { CompanyId, ContactId, OrderId } from "../../domain/Ids.ts"
import type { Order } from "../../domain/Order.ts"

export interface CrmRecordOf {
  readonly contact: Contact
  readonly company: Company
  readonly order: Order
}
export interface CrmIdOf {
  readonly contact: ContactId
  readonly company: CompanyId
  readonly order: OrderId
}

/**
 * An upsert matched on the commerce id: the adapter knows which unique field of each type holds it
 * (the correspondence table's `commerceIdProperty`), so callers never name CRM fields to match on.
 */
export interface UpsertInput {
  readonly commerceId: string
  readonly properties: CrmProperties
}
export interface UpdateInput<Id> {
  readonly id: Id
  readonly properties: CrmProperties
}
/** One outcome per input, in input order: batches apply the good items and name the bad ones. */
export type ItemOutcome<Id> =
  | { readonly _tag: "Applied"; readonly id: Id; readonly created: boolean }
  /** `retryable` when the CRM answered nothing for this input; a refusal of its content is not. */
  | { readonly _tag: "Rejected"; readonly retryable: boolean; readonly message: string }

export interface CrmLink {
  readonly fromType: CrmObjectType
  readonly fromId: string
  readonly toType: CrmObjectType
  readonly toId: string
}
export interface RecordPage<T extends CrmObjectType> {
  readonly records: ReadonlyArray<CrmRecordOf[T]>
  /** Opaque cursor of the next page; undefined after the last one. */
  readonly next: string | undefined
}
/** Where a `list` page starts and ends. */
export interface ListRange {
  /** A cursor from the previous page, or the first id to list; undefined: from the first record. */
  readonly after?: string | undefined
  /** Records at most. Any number: the adapter makes as many of its CRM's list calls as it needs. */
  readonly limit: number
  /** The last id wanted (inclusive): records past it are left out and the page is the last. */
  readonly toId?: string | undefined
}
export interface CountFilter {
  readonly fromId?: string
  readonly toId?: string
  readonly from?: number
  readonly to?: number
}
export type ModifiedPage<T extends CrmObjectType> = RecordPage<T>

/**
 * The CRM could not answer now: network, timeout, 5xx, or the CRM saying it is busy (locked,
 * migrating). `retryAfterMs`, when the CRM names a wait, is the floor for the next attempt.
 */
export class CrmTransient extends Schema.TaggedError<CrmTransient>()("CrmTransient", {
  message: Schema.String,
  status: Schema.optionalKey(Schema.Int),
  retryAfterMs: Schema.optionalKey(Schema.Finite)
}) {
  readonly isRetryable = true
}
/** A rolling rate limit was hit: wait `retryAfterMs`, then go on as before. */
export class CrmThrottled extends Schema.TaggedError<CrmThrottled>()("CrmThrottled", { retryAfterMs: Schema.Finite }) {
  readonly isRetryable = true
}
/** A cap over a long period (e.g. a day) is spent: nothing passes until `resetAt` (epoch ms). */
export class CrmQuotaExhausted extends Schema.TaggedError<CrmQuotaExhausted>()("CrmQuotaExhausted", {
  retryAfterMs: Schema.Finite,
  resetAt: Schema.Finite
}) {
  readonly isRetryable = true
}
/** Bad credentials or a missing permission. Never retried; surfaced loudly. */
export class CrmUnauthorized extends Schema.TaggedError<CrmUnauthorized>()("CrmUnauthorized", { message: Schema.String }) {
  readonly isRetryable = false
}
/** The request itself is wrong; repeating it would fail the same way. Never retried. */
export class CrmRejected extends Schema.TaggedError<CrmRejected>()("CrmRejected", {
  message: Schema.String,
  status: Schema.optionalKey(Schema.Int)
}) {
  readonly isRetryable = false
}

export const CrmErrorReason = Schema.Union([CrmTransient, CrmThrottled, CrmQuotaExhausted, CrmUnauthorized, CrmRejected])
export type CrmErrorReason = typeof CrmErrorReason.Type

export class CrmError extends Schema.TaggedError<CrmError>()("CrmError", { reason: CrmErrorReason }) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    const reason = this.reason
    if ("message" in reason && reason.message !== "") return `${reason._tag}: ${reason.message}`
    return `${reason._tag}: ${JSON.stringify({ ...reason, isRetryable: undefined })}`
  }
}

export class Crm extends Context.Service<
  Crm,
  {
    /** Reads by id with associations; ids that do not exist are left out. Any number of ids. */
    readonly read: <T extends CrmObjectType>(type: T, ids: ReadonlyArray<CrmIdOf[T]>) => Effect.Effect<ReadonlyArray<CrmRecordOf[T]>, CrmError>
    /** Creates or updates by commerce id. Any number of inputs; one outcome per input, in order. */
    readonly upsert: <T extends CrmObjectType>(type: T, inputs: ReadonlyArray<UpsertInput>) => Effect.Effect<ReadonlyArray<ItemOutcome<CrmIdOf[T]>>, CrmError>
    /** Sets properties on existing records (e.g. writing back commerce ids). */
    readonly update: <T extends CrmObjectType>(
      type: T,
      inputs: ReadonlyArray<UpdateInput<CrmIdOf[T]>>
    ) => Effect.Effect<ReadonlyArray<ItemOutcome<CrmIdOf[T]>>, CrmError>
    /** Archives records (a commerce deletion); archiving one that is gone already changes nothing. */
    readonly archive: <T extends CrmObjectType>(type: T, ids: ReadonlyArray<CrmIdOf[T]>) => Effect.Effect<void, CrmError>
    /** Adds the default association for each link; adding an existing one changes nothing. */
    readonly associate: (links: ReadonlyArray<CrmLink>) => Effect.Effect<void, CrmError>
    /** Records modified in [from, to) epoch ms, oldest first, a page at a time. */
    readonly modifiedBetween: <T extends CrmObjectType>(
      type: T,
      window: { readonly from: number; readonly to: number },
      after?: string
    ) => Effect.Effect<ModifiedPage<T>, CrmError>
    /**
     * How many live records match, for a backfill's progress: ids in [fromId, toId] (inclusive)
     * and last modified in [from, to); undefined when the CRM cannot say.
     */
    readonly count: (type: CrmObjectType, filter: CountFilter) => Effect.Effect<number | undefined, CrmError>
    /**
     * Live records in ascending id order with their associations, as `read` returns them, a page
     * at a time: a backfill by id reads each record once, here, instead of listing ids and reading
     * the records again (the adapter reads the associations of the whole page together).
     */
    readonly list: <T extends CrmObjectType>(type: T, range: ListRange) => Effect.Effect<RecordPage<T>, CrmError>
  }
>()("crm-sync/application/ports/Crm") {}
