// The webhook inbox/outbox and parked messages, until those move to their own ports (snapshots,
// id links, the write ledger and job checkpoints already have theirs). Every write is a
// single-document atomic operation so it works on a standalone MongoDB and on MongoDB-wire servers.
import { Context } from "effect"
import type { CrmChange } from "../../domain/CrmChange.ts"
import type { Envelope } from "../Step.ts"
import type { StoreError, StoreOp } from "./StoreError.ts"

export interface InboxResult {
  readonly stored: number
  /** Events already in the inbox (HubSpot redeliveries): counted, not failed. */
  readonly duplicates: number
}
export interface PendingChange {
  readonly change: CrmChange
  readonly receivedAt: number
}

export interface ParkedItem {
  readonly id: string
  readonly step: string
  readonly message: Envelope
  readonly reason: string
  readonly attempts: number
  readonly firstFailedAt: number
  readonly lastFailedAt: number
  readonly replayedAt: number | undefined
}
export interface ParkedFilter {
  readonly step?: string
  readonly type?: string
  readonly from?: number
  readonly to?: number
  readonly includeReplayed?: boolean
}

/** The store ports share one error (ports/StoreError.ts); this name stays for the inbox's callers. */
export type SyncStoreError = StoreError

type Op<A> = StoreOp<A>

export class SyncStore extends Context.Service<
  SyncStore,
  {
    /** Stores webhook events as pending, each once by its dedupe key. */
    readonly storeChanges: (changes: ReadonlyArray<CrmChange>, receivedAt: number) => Op<InboxResult>
    /** Keeps a signed payload that did not decode, so nothing HubSpot sent is lost. */
    readonly quarantine: (body: string, reason: string, receivedAt: number) => Op<void>
    /** Claims up to `limit` pending events for `leaseMs`; a claimed event is not handed out again until the lease ends. */
    readonly claimPending: (limit: number, claimant: string, now: number, leaseMs: number) => Op<ReadonlyArray<PendingChange>>
    readonly markPublished: (keys: ReadonlyArray<string>) => Op<void>
    readonly countPending: Op<number>

    readonly park: (item: ParkedItem) => Op<void>
    readonly listParked: (filter: ParkedFilter) => Op<ReadonlyArray<ParkedItem>>
    readonly markReplayed: (ids: ReadonlyArray<string>, at: number) => Op<void>
  }
>()("crm-sync/application/ports/SyncStore") {}
