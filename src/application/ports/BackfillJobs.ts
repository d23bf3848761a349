// Backfill and reconcile jobs as the store keeps them: what to copy, whether to run, and how far
// the job got. Progress is one record per finished page, written by a unique-key insert, so two
// replicas (or a SIGKILLed one and its successor) can never both finish the same page; running a
// page is guarded by a lease that also goes by unique-key inserts, one per attempt.
import { Context } from "effect"
import type { StoreOp } from "./StoreError.ts"

export type JobDirection = "crm-to-commerce" | "commerce-to-crm"
/** Operator states; "done" is set by the runner after the last page. */
export type JobState = "running" | "paused" | "cancelled" | "done"

export interface JobDefinition {
  readonly direction: JobDirection
  /** CRM object types (crm-to-commerce) or commerce entities (commerce-to-crm), in order. */
  readonly types: ReadonlyArray<string>
  readonly fromId?: string
  readonly toId?: string
  /** Epoch ms window on the last modification (CRM) or creation (commerce); from inclusive. */
  readonly modifiedSince?: number
  readonly modifiedUntil?: number
  /** Records per page (the batch handed to the flow, listed 100 a call): 1000 from the CLI. */
  readonly pageSize: number
  readonly dryRun: boolean
  /**
   * The backfill lane share (0–1) of each rolling window the job's pages run at, capped at
   * BACKFILL_MAX_SHARE; unset: BACKFILL_SHARE. Jobs running at once share the lane, which then
   * takes at most the largest of their shares.
   */
  readonly share?: number
  /** "backfill" from the CLI, "reconcile" from the schedule. */
  readonly kind: "backfill" | "reconcile"
}

export interface BackfillJob {
  readonly id: string
  readonly definition: JobDefinition
  readonly state: JobState
  /** A daily quota is spent: no page starts before this epoch ms (the job is not failed). */
  readonly waitUntil: number | undefined
  /** Why a running job rests (until `waitUntil`), or why it was paused by the runner. */
  readonly note?: string
  readonly createdAt: number
  readonly updatedAt: number
}

/** Where a job stands after a page: written once per page, never updated. */
export interface PageProgress {
  readonly jobId: string
  /** 0 for the first page. */
  readonly page: number
  /** Opaque cursor of the next page; undefined when this page was the last. */
  readonly cursor: string | undefined
  /** Cumulative counts per outcome (records, parked, would-create, …) up to this page. */
  readonly counts: Readonly<Record<string, number>>
  /** Records the job covers, as the source counted them before its first page; unset: unknown. */
  readonly total?: number
  /**
   * Time spent on the job's pages so far, gaps between pages counted up to a few seconds: a pause,
   * a rest on the daily cap or an outage does not slow the rate shown.
   */
  readonly activeMs?: number
  readonly finishedAt: number
}

export interface PageLease {
  readonly jobId: string
  readonly page: number
  readonly holder: string
  readonly expiresAt: number
}

export class BackfillJobs extends Context.Service<
  BackfillJobs,
  {
    /** Inserts new jobs; an id that exists already is left as it is. */
    readonly create: (jobs: ReadonlyArray<BackfillJob>) => StoreOp<void>
    /** Every job, oldest first (the collection stays small: one document per job). */
    readonly list: StoreOp<ReadonlyArray<BackfillJob>>
    /** Sets state (and the quota wait, and why) of these jobs; unknown ids are ignored. */
    readonly setState: (jobIds: ReadonlyArray<string>, state: JobState, waitUntil: number | undefined, now: number, note?: string) => StoreOp<void>
    /** The last finished page of each of these jobs (jobs with none are left out). */
    readonly progress: (jobIds: ReadonlyArray<string>) => StoreOp<ReadonlyArray<PageProgress>>
    /**
     * Takes the lease on a page for `holder` until `expiresAt`: true when it holds it now (taken,
     * renewed by its holder, or taken over after expiry), false while another holder's is live.
     */
    readonly lease: (lease: PageLease, now: number) => StoreOp<boolean>
    /** Records a finished page: false when that page was recorded already (by anyone). */
    readonly finish: (progress: PageProgress) => StoreOp<boolean>
    /** Deletes these jobs with their pages and leases (old reconcile runs). */
    readonly remove: (jobIds: ReadonlyArray<string>) => StoreOp<void>
  }
>()("crm-sync/application/ports/BackfillJobs") {}
