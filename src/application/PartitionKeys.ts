// The partition key of a message: the commerce side's identity of the object (`user:u-5`,
// `business:b-2`, `purchase:p-9`), the same for both directions of one linked pair, so flows A,
// B and C for that pair land on one partition (issue 12). A CRM record not linked yet keys as
// `crm:<type>:<id>`; see docs/topology.md for the short window at link creation.
import { Effect, Result, Schema } from "effect"
import { entityOf } from "../domain/CorrespondenceTable.ts"
import { CrmChange } from "../domain/CrmChange.ts"
import { entityKey } from "./CoalesceCommerceEvents.ts"
import { IdsAssigned } from "./CommerceMessages.ts"
import { IdLinks } from "./ports/IdLinks.ts"
import type { Envelope, OutgoingMessage } from "./Step.ts"
import { commerceObjectOf } from "./SyncCommerceEvents.ts"

const decodeChange = Schema.decodeUnknownResult(CrmChange)
const decodeIds = Schema.decodeUnknownResult(IdsAssigned)

/** An unlinked CRM record's key. */
export const crmRecordKey = (change: Pick<CrmChange, "objectType" | "objectId">): string => `crm:${change.objectType}:${change.objectId}`

/** Flow A without a stamped key (a message published before issue 12): the CRM record's own key. */
export const crmChangeKeyOf = (message: Envelope): string | undefined => {
  const change = decodeChange(message.payload)
  return Result.isSuccess(change) ? crmRecordKey(change.success) : undefined
}

/** Flow B: the platform assigned `commerceId` to the entity we sent. */
export const idsAssignedKeyOf = (message: Envelope): string | undefined => {
  const ids = decodeIds(message.payload)
  return Result.isSuccess(ids) ? entityKey(ids.success.entity, ids.success.commerceId) : undefined
}

/** Flow C: the shop entity the event is about. */
export const commerceEventKeyOf = commerceObjectOf

/**
 * Stamps the partition key on the relay's CRM change messages: the HubSpot ids of the whole batch
 * are resolved to commerce ids in one IdLinks lookup. A message that is not a CRM change keeps none.
 */
export const withCrmPartitionKeys = Effect.fn("withCrmPartitionKeys")(function* (messages: ReadonlyArray<OutgoingMessage>) {
  const changes = messages.map((m) => {
    const decoded = decodeChange(m.payload)
    return Result.isSuccess(decoded) ? decoded.success : undefined
  })
  const wanted = changes.flatMap((c) => (c === undefined ? [] : [{ entity: entityOf[c.objectType], id: c.objectId }]))
  if (wanted.length === 0) return messages
  const links = yield* (yield* IdLinks).find({ crmIds: wanted })
  const commerceIdOf = new Map(links.map((l) => [`${l.entity}:${l.crmId}`, l.commerceId] as const))
  return messages.map((m, i): OutgoingMessage => {
    const change = changes[i]
    if (change === undefined) return m
    const entity = entityOf[change.objectType]
    const commerceId = commerceIdOf.get(`${entity}:${change.objectId}`)
    return { ...m, partitionKey: commerceId === undefined ? crmRecordKey(change) : entityKey(entity, commerceId) }
  })
})
