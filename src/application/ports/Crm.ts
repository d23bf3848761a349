// The CRM as the sync needs it: batch reads with associations, batch upserts keyed by the unique
// property that holds the commerce id, property updates, links, and a modified-since scan.
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

/** An upsert matched on a unique property (e.g. `ecommerce_user_id`). */
export interface UpsertInput {
  readonly idProperty: string
  readonly idValue: string
  readonly properties: CrmProperties
}
export interface UpdateInput<Id> {
  readonly id: Id
  readonly properties: CrmProperties
}
/** One outcome per input, in input order: batches apply the good items and name the bad ones. */
export type ItemOutcome<Id> =
  | { readonly _tag: "Applied"; readonly id: Id; readonly created: boolean }
  | { readonly _tag: "Rejected"; readonly category: string; readonly message: string }

export interface CrmLink {
  readonly fromType: CrmObjectType
  readonly fromId: string
  readonly toType: CrmObjectType
  readonly toId: string
}
export interface ModifiedPage<T extends CrmObjectType> {
  readonly records: ReadonlyArray<CrmRecordOf[T]>
  readonly next: string | undefined
}

export class CrmNetworkError extends Schema.TaggedError<CrmNetworkError>()("CrmNetworkError", { message: Schema.String }) {
  readonly isRetryable = true
}
export class CrmServerError extends Schema.TaggedError<CrmServerError>()("CrmServerError", {
  status: Schema.Int,
  message: Schema.String
}) {
  readonly isRetryable = true
}
/** 429. `TEN_SECONDLY_ROLLING` and `SECONDLY` pass; `DAILY` lasts until the account's midnight. */
export class CrmRateLimited extends Schema.TaggedError<CrmRateLimited>()("CrmRateLimited", {
  policy: Schema.Literals(["TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY"]),
  retryAfterMs: Schema.Finite
}) {
  readonly isRetryable = true
}
/** 423 (≥ 2 s) and 477 (Retry-After): HubSpot asks us to come back later. */
export class CrmUnavailable extends Schema.TaggedError<CrmUnavailable>()("CrmUnavailable", {
  status: Schema.Literals([423, 477]),
  retryAfterMs: Schema.Finite
}) {
  readonly isRetryable = true
}
/** 401/403: a bad token or missing scope. Never retried; surfaced loudly. */
export class CrmUnauthorized extends Schema.TaggedError<CrmUnauthorized>()("CrmUnauthorized", {
  status: Schema.Int,
  message: Schema.String
}) {
  readonly isRetryable = false
}
/** Any other 4xx: the request itself is wrong. Never retried. */
export class CrmRejected extends Schema.TaggedError<CrmRejected>()("CrmRejected", {
  status: Schema.Int,
  category: Schema.String,
  message: Schema.String
}) {
  readonly isRetryable = false
}

export const CrmErrorReason = Schema.Union([CrmNetworkError, CrmServerError, CrmRateLimited, CrmUnavailable, CrmUnauthorized, CrmRejected])
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
    /** Creates or updates by a unique property. Any number of inputs; one outcome per input. */
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
  }
>()("crm-sync/application/ports/Crm") {}
