// What each side last looked like when we synced it: the base of the three-way merge and the
// version guard (an older source version never overwrites a newer one). Typed per side.
import { Context } from "effect"
import type { Freshness } from "../../domain/ConflictRules.ts"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { CrmRecordOf } from "./Crm.ts"
import type { StoreOp } from "./StoreError.ts"

/** A CRM record as we last synced it; `version` is its modification time (epoch ms). */
export type CrmSnapshot = {
  readonly [T in CrmObjectType]: { readonly type: T; readonly id: string; readonly version: number; readonly record: CrmRecordOf[T] }
}[CrmObjectType]

/** A shop record as we last saw it; `record: null` is a tombstone (deleted on the shop). */
export interface CommerceSnapshot {
  readonly entity: CommerceEntity
  readonly id: string
  readonly version: number
  readonly record: Readonly<Record<string, unknown>> | null
}

export interface CrmKey {
  readonly type: CrmObjectType
  readonly id: string
}
export interface CommerceKey {
  readonly entity: CommerceEntity
  readonly id: string
}

export class Snapshots extends Context.Service<
  Snapshots,
  {
    /** The stored snapshots among these keys (missing ones are left out), in one query. */
    readonly getCrm: (keys: ReadonlyArray<CrmKey>) => StoreOp<ReadonlyArray<CrmSnapshot>>
    /**
     * Saves each snapshot unless a newer version is stored, and says per input how it compared.
     * An equal version replaces the data (associations change without a new version).
     */
    readonly saveCrm: (snapshots: ReadonlyArray<CrmSnapshot>) => StoreOp<ReadonlyArray<Freshness>>
    readonly getCommerce: (keys: ReadonlyArray<CommerceKey>) => StoreOp<ReadonlyArray<CommerceSnapshot>>
    readonly saveCommerce: (snapshots: ReadonlyArray<CommerceSnapshot>) => StoreOp<ReadonlyArray<Freshness>>
  }
>()("crm-sync/application/ports/Snapshots") {}
