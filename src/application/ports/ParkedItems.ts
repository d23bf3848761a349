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
}
export interface ParkedFilter {
  readonly step?: string
  readonly type?: string
  readonly from?: number
  readonly to?: number
  readonly includeReplayed?: boolean
}

export class ParkedItems extends Context.Service<
  ParkedItems,
  {
    readonly park: (items: ReadonlyArray<ParkedItem>) => StoreOp<void>
    readonly list: (filter: ParkedFilter) => StoreOp<ReadonlyArray<ParkedItem>>
    readonly markReplayed: (ids: ReadonlyArray<string>, at: number) => StoreOp<void>
  }
>()("crm-sync/application/ports/ParkedItems") {}
