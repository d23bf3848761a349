// The webhook inbox/outbox: HubSpot's events are stored durably before the 200, then published by
// the relay in batches. Published events are deleted, so the collection holds only the backlog
// (FerretDB scans on every query). One relay lease covers a whole batch: the claim and the mark
// are a handful of operations per batch, never one per event.
import { Context } from "effect"
import type { CrmChange } from "../../domain/CrmChange.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { StoreOp } from "./StoreError.ts"

export interface StoredEvents {
  readonly stored: number
  /** Events already pending (HubSpot redeliveries): counted, not failed. */
  readonly duplicates: number
}
export interface PendingEvent {
  readonly change: CrmChange
  readonly receivedAt: number
}
/** A signed payload (a whole body or one event of it) that did not decode, kept for a human. */
export interface QuarantinedPayload {
  readonly body: string
  readonly reason: string
  readonly receivedAt: number
}
/** A quarantined payload as stored, with the id an operator replays or releases it by. */
export interface StoredQuarantine extends QuarantinedPayload {
  readonly id: string
}
export interface ClaimRequest {
  readonly limit: number
  readonly claimant: string
  readonly now: number
  /** Longer than a publish takes; after it another claimant takes the batch over. */
  readonly leaseMs: number
  /** Only events received at or before this time (younger ones are left to the relay's fast path). */
  readonly receivedBy?: number
}
/** The oldest pending events, oldest first, under one lease; empty while another claimant's lease is valid. */
export interface ClaimedBatch {
  /** Opaque: hands the lease back to markPublished. */
  readonly lease: string
  readonly events: ReadonlyArray<PendingEvent>
}
/**
 * The lease of events published without a claim (the relay's fast path publishes what this
 * process's intake just stored): marking them deletes them and releases no lease.
 */
export const UNCLAIMED = "unclaimed"
export interface Backlog {
  readonly pending: number
  readonly oldestReceivedAt: number | undefined
}

/** The most pending events `pendingFor` returns. */
export const pendingForCap = 100

/** Whether a pending change concerns one of these objects (the changed one or the associated one). */
export const concerns =
  (objectType: CrmObjectType, objectIds: ReadonlyArray<string>) =>
  (change: CrmChange): boolean =>
    (change.objectType === objectType && objectIds.includes(change.objectId)) ||
    (change.associatedObjectType === objectType && change.associatedObjectId !== undefined && objectIds.includes(change.associatedObjectId))

export class WebhookInbox extends Context.Service<
  WebhookInbox,
  {
    /** Stores a request's events as pending in one write, each once by its dedupe key. */
    readonly store: (changes: ReadonlyArray<CrmChange>, receivedAt: number) => StoreOp<StoredEvents>
    readonly quarantine: (payloads: ReadonlyArray<QuarantinedPayload>) => StoreOp<void>
    /**
     * Takes the relay lease and returns the oldest pending events. Two claimants never both hold a
     * valid lease; a lease that expired (its holder crashed or stalled) is taken over, so a stalled
     * holder may still publish a duplicate, which consumers absorb.
     */
    readonly claim: (request: ClaimRequest) => StoreOp<ClaimedBatch>
    /**
     * Deletes the batch's events (they may be fewer than were claimed: the others stay pending)
     * and releases its lease unless it was taken over meanwhile, or is `UNCLAIMED`.
     */
    readonly markPublished: (batch: ClaimedBatch) => StoreOp<void>
    readonly backlog: StoreOp<Backlog>
    /**
     * Events still pending (not yet published) that concern these objects of this type, as the
     * changed object or as the associated one; oldest first, at most `pendingForCap` (a human reads them).
     */
    readonly pendingFor: (objectType: CrmObjectType, objectIds: ReadonlyArray<string>) => StoreOp<ReadonlyArray<PendingEvent>>
    /** Quarantined payloads, oldest first, at most 1000 (a human reads them). */
    readonly quarantined: StoreOp<ReadonlyArray<StoredQuarantine>>
    /** Removes quarantined payloads (replayed or given up on by an operator); unknown ids are ignored. */
    readonly release: (ids: ReadonlyArray<string>) => StoreOp<void>
  }
>()("crm-sync/application/ports/WebhookInbox") {}
