// The service's working memory: CRM snapshots, id links, the write ledger for echo suppression,
// parked messages and backfill checkpoints (the webhook inbox is its own port, WebhookInbox).
// Every write is a single-document atomic operation so it works on a standalone MongoDB and on
// MongoDB-wire servers.
import { Context, type Effect, type Option, Schema } from "effect"
import type { CommerceEntity, Side } from "../../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Freshness } from "../../domain/ConflictRules.ts"
import type { Envelope } from "../Step.ts"

/** Snapshots are kept per CRM object type and, for versions seen from the shop, per commerce entity. */
export type SnapshotType = CrmObjectType | CommerceEntity

export interface Snapshot {
  readonly type: SnapshotType
  readonly id: string
  readonly version: number
  readonly data: unknown
}
export interface LedgerEntry {
  /** The side we wrote to; its echo arrives from that side. */
  readonly side: Side
  readonly objectKey: string
  readonly property: string
  readonly valueHash: string
  readonly expiresAt: number
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
export interface Checkpoint {
  readonly runId: string
  readonly cursor: string | undefined
  readonly enqueued: number
  readonly done: boolean
  readonly updatedAt: number
}

export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", { message: Schema.String }) {
  readonly isRetryable = true
}
export class StoreRejected extends Schema.TaggedError<StoreRejected>()("StoreRejected", { message: Schema.String }) {
  readonly isRetryable = false
}
export class SyncStoreError extends Schema.TaggedError<SyncStoreError>()("SyncStoreError", {
  reason: Schema.Union([StoreUnavailable, StoreRejected])
}) {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    return `${this.reason._tag}: ${this.reason.message}`
  }
}

type Op<A> = Effect.Effect<A, SyncStoreError>

export class SyncStore extends Context.Service<
  SyncStore,
  {
    /**
     * Saves the snapshot unless a newer version is stored; says how the given one compared. An
     * equal version replaces the data, since associations change without a new version.
     */
    readonly saveSnapshot: (snapshot: Snapshot) => Op<Freshness>
    readonly getSnapshot: (type: SnapshotType, id: string) => Op<Option.Option<Snapshot>>

    /** Links a CRM id and a commerce id; both are unique per entity. Re-linking moves the link. */
    readonly link: (entity: CommerceEntity, crmId: string, commerceId: string) => Op<void>
    readonly commerceIdOf: (entity: CommerceEntity, crmId: string) => Op<Option.Option<string>>
    readonly crmIdOf: (entity: CommerceEntity, commerceId: string) => Op<Option.Option<string>>
    /** After a CRM merge: links of the merged-away ids move to the survivor (if it has none). */
    readonly repoint: (entity: CommerceEntity, mergedCrmIds: ReadonlyArray<string>, survivorCrmId: string) => Op<void>

    readonly recordWrites: (entries: ReadonlyArray<LedgerEntry>) => Op<void>
    /** True when this value is one we wrote ourselves and the entry has not expired. */
    readonly isEcho: (side: Side, objectKey: string, property: string, valueHash: string, now: number) => Op<boolean>

    readonly park: (item: ParkedItem) => Op<void>
    readonly listParked: (filter: ParkedFilter) => Op<ReadonlyArray<ParkedItem>>
    readonly markReplayed: (ids: ReadonlyArray<string>, at: number) => Op<void>

    readonly saveCheckpoint: (checkpoint: Checkpoint) => Op<void>
    readonly loadCheckpoint: (runId: string) => Op<Option.Option<Checkpoint>>
  }
>()("crm-sync/application/ports/SyncStore") {}
