// Which replicas are alive (issue 12): each beats its own heartbeat with an expiry, and every
// replica reads the live ones to compute the same partition assignment. A replica that stops
// beating (killed, partitioned away) drops out once its heartbeat expires.
import { Context } from "effect"
import type { StoreOp } from "./StoreError.ts"

export interface Heartbeat {
  readonly replica: string
  readonly now: number
  /** The replica counts as live until `now + ttlMs` unless it beats again. */
  readonly ttlMs: number
}

export class ReplicaMembership extends Context.Service<
  ReplicaMembership,
  {
    /** Records that `replica` is alive; each replica writes only its own entry. */
    readonly beat: (heartbeat: Heartbeat) => StoreOp<void>
    /** The replicas whose heartbeat has not expired at `now`, sorted. */
    readonly live: (now: number) => StoreOp<ReadonlyArray<string>>
    /** Removes the replica's entry at once (graceful shutdown), so the others need not wait for the expiry. */
    readonly leave: (replica: string) => StoreOp<void>
  }
>()("crm-sync/application/ports/ReplicaMembership") {}
