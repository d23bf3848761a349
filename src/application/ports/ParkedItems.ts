// Messages a step gave up on, with their reason, to be listed and replayed by an operator.
import { Context } from "effect"
import type { Envelope } from "../Step.ts"
import type { StoreOp } from "./StoreError.ts"

export interface ParkedItem {
  /** `${step}:${message.id}`: parking the same message again updates its record. */
  readonly id: string
  readonly step: string
  readonly message: Envelope
  readonly reason: string
  readonly attempts: number
  readonly firstFailedAt: number
  readonly lastFailedAt: number
  readonly replayedAt: number | undefined
  /** Set when an operator gave up on it; it is then hidden like a replayed one. */
  readonly discarded?: { readonly at: number; readonly note: string }
}
export interface ParkedFilter {
  readonly step?: string
  readonly type?: string
  readonly from?: number
  readonly to?: number
  /** Also list items already replayed or discarded. */
  readonly includeReplayed?: boolean
}

export class ParkedItems extends Context.Service<
  ParkedItems,
  {
    readonly park: (items: ReadonlyArray<ParkedItem>) => StoreOp<void>
    readonly list: (filter: ParkedFilter) => StoreOp<ReadonlyArray<ParkedItem>>
    readonly markReplayed: (ids: ReadonlyArray<string>, at: number) => StoreOp<void>
    /** Settles them for good with an operator's note; parking the message again revives it. */
    readonly discard: (ids: ReadonlyArray<string>, note: string, at: number) => StoreOp<void>
  }
>()("crm-sync/application/ports/ParkedItems") {}
