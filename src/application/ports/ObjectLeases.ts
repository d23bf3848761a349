// One writer per object across replicas (issue 9 #8): a flow takes the lease of every object of a
// batch before it reads what it decides on, and releases them once written. An object another
// replica holds waits (a retry tier) instead of being written concurrently, where the older
// version could land last. A lease expires, so a crashed holder strands nothing.
import { Context } from "effect"
import type { StoreOp } from "./StoreError.ts"

export interface LeaseRequest {
  /** Object keys, e.g. "user:u-1". */
  readonly keys: ReadonlyArray<string>
  /** Unique per taking batch: only it releases what it took. */
  readonly holder: string
  readonly now: number
  readonly leaseMs: number
}

export class ObjectLeases extends Context.Service<
  ObjectLeases,
  {
    /** Takes every lease nobody holds (or whose holder's lease expired); returns the keys taken. */
    readonly take: (request: LeaseRequest) => StoreOp<ReadonlySet<string>>
    /** Releases the leases `holder` took; others' are untouched. */
    readonly release: (keys: ReadonlyArray<string>, holder: string) => StoreOp<void>
  }
>()("crm-sync/application/ports/ObjectLeases") {}
