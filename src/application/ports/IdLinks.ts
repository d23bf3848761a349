// Which CRM record mirrors which shop entity. Both ids are unique per entity.
import { Context } from "effect"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"
import type { StoreOp } from "./StoreError.ts"

export interface IdLink {
  readonly entity: CommerceEntity
  readonly crmId: string
  readonly commerceId: string
}
export interface LinkKey {
  readonly entity: CommerceEntity
  readonly id: string
}
/** Links to look up, by either side's id; one query answers both lists. */
export interface LinkQuery {
  readonly crmIds?: ReadonlyArray<LinkKey>
  readonly commerceIds?: ReadonlyArray<LinkKey>
}

export class IdLinks extends Context.Service<
  IdLinks,
  {
    /** Every stored link whose CRM id or commerce id is among the keys. */
    readonly find: (query: LinkQuery) => StoreOp<ReadonlyArray<IdLink>>
    /** Stores the links; re-linking either id moves its link (the newest pairing wins). */
    readonly link: (links: ReadonlyArray<IdLink>) => StoreOp<void>
    /** After a CRM merge: links of the merged-away ids move to the survivor (if it has none). */
    readonly repoint: (entity: CommerceEntity, mergedCrmIds: ReadonlyArray<string>, survivorCrmId: string) => StoreOp<void>
  }
>()("crm-sync/application/ports/IdLinks") {}
