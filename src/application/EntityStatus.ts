// Everything the store knows about one entity, asked by either side's id: its snapshots (the last
// synced version each way), its links, the parked messages that mention it and the webhook events
// for its CRM ids still waiting in the outbox. Messages already on a queue are not inspected
// (a broker cannot be searched without consuming).
import { Effect } from "effect"
import { type CommerceEntity, crmTypeOf, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { mentions } from "./ParkedOperations.ts"
import { type IdLink, IdLinks } from "./ports/IdLinks.ts"
import type { ParkedItem } from "./ports/ParkedItems.ts"
import { ParkedItems } from "./ports/ParkedItems.ts"
import { Snapshots } from "./ports/Snapshots.ts"
import { type PendingEvent, WebhookInbox } from "./ports/WebhookInbox.ts"

export type EntityKind = CrmObjectType | CommerceEntity
export const crmTypes: ReadonlyArray<CrmObjectType> = ["contact", "company", "order"]
export const commerceEntities: ReadonlyArray<CommerceEntity> = ["user", "business", "purchase"]

export interface SideStatus {
  readonly id: string
  /** The version of the last synced snapshot (its source modification time), if any. */
  readonly version: number | undefined
  readonly deleted: boolean
}
export interface EntityStatus {
  readonly entity: CommerceEntity
  readonly crmType: CrmObjectType
  readonly crm: ReadonlyArray<SideStatus>
  readonly commerce: ReadonlyArray<SideStatus>
  readonly links: ReadonlyArray<IdLink>
  readonly parked: ReadonlyArray<ParkedItem>
  /** Webhook events for its CRM ids not yet published from the outbox. */
  readonly pending: ReadonlyArray<PendingEvent>
}

const isCrmType = (kind: EntityKind): kind is CrmObjectType => (crmTypes as ReadonlyArray<string>).includes(kind)

export const entityStatus = Effect.fn("entityStatus")(function* (kind: EntityKind, id: string) {
  const entity = isCrmType(kind) ? entityOf[kind] : kind
  const crmType = crmTypeOf[entity]
  const links = yield* (yield* IdLinks).find(isCrmType(kind) ? { crmIds: [{ entity, id }] } : { commerceIds: [{ entity, id }] })
  const crmIds = [...new Set([...(isCrmType(kind) ? [id] : []), ...links.map((l) => l.crmId)])]
  const commerceIds = [...new Set([...(isCrmType(kind) ? [] : [id]), ...links.map((l) => l.commerceId)])]
  const snapshots = yield* Snapshots
  const [crm, commerce, parked, pending] = yield* Effect.all(
    [
      snapshots.getCrm(crmIds.map((i) => ({ type: crmType, id: i }))),
      snapshots.getCommerce(commerceIds.map((i) => ({ entity, id: i }))),
      Effect.flatMap(ParkedItems, (p) => p.list({ includeReplayed: true })),
      Effect.flatMap(WebhookInbox, (i) => i.pendingFor(crmType, crmIds))
    ],
    { concurrency: 4 }
  )
  const ids = [...crmIds, ...commerceIds]
  return {
    entity,
    crmType,
    crm: crmIds.map((i) => ({ id: i, version: crm.find((s) => s.id === i)?.version, deleted: false })),
    commerce: commerceIds.map((i) => {
      const snapshot = commerce.find((s) => s.id === i)
      return { id: i, version: snapshot?.version, deleted: snapshot?.record === null }
    }),
    links,
    parked: parked.filter((item) => ids.some((i) => mentions(i)(item))),
    pending
  } satisfies EntityStatus
})
