// Where a long job (backfill, reconcile) stands, so it resumes after a crash instead of restarting.
import { Context } from "effect"
import type { StoreOp } from "./StoreError.ts"

export interface Checkpoint {
  readonly jobId: string
  /** Opaque cursor of the next page; undefined before the first page. */
  readonly cursor: string | undefined
  readonly done: number
  readonly finished: boolean
  readonly updatedAt: number
}

export class JobCheckpoints extends Context.Service<
  JobCheckpoints,
  {
    readonly save: (checkpoints: ReadonlyArray<Checkpoint>) => StoreOp<void>
    /** The stored checkpoints among these job ids. */
    readonly load: (jobIds: ReadonlyArray<string>) => StoreOp<ReadonlyArray<Checkpoint>>
  }
>()("crm-sync/application/ports/JobCheckpoints") {}
