// Echo suppression: what we wrote to each side, for a while, so that side's report of our own
// write changes nothing and triggers no further write.
import { Context } from "effect"
import type { Side } from "../../domain/CorrespondenceTable.ts"
import type { StoreOp } from "./StoreError.ts"

export interface LedgerEntry {
  /** The side we wrote to; its echo arrives from that side. */
  readonly side: Side
  readonly objectKey: string
  readonly property: string
  readonly valueHash: string
  readonly expiresAt: number
}
export interface LedgerKey {
  readonly side: Side
  readonly objectKey: string
}

export class WriteLedger extends Context.Service<
  WriteLedger,
  {
    readonly record: (entries: ReadonlyArray<LedgerEntry>) => StoreOp<void>
    /** The entries for these objects that have not expired at `now`, in one query. */
    readonly find: (keys: ReadonlyArray<LedgerKey>, now: number) => StoreOp<ReadonlyArray<LedgerEntry>>
  }
>()("crm-sync/application/ports/WriteLedger") {}
