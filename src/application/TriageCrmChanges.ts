// Flow A's first decision for a batch of CRM changes, pure and before any HubSpot read: which
// changes are our own echo or already carried (skip), which publish a deletion or a merge, and
// which objects the shop should get the current state of.
import { type CommerceEntity, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CrmChange } from "../domain/CrmChange.ts"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { type EntityDelete, type EntityMerge, routingKeys } from "./CommerceMessages.ts"
import type { LaneName } from "./Lane.ts"
import { ARCHIVED, crmLedgerKey, isOwnCrmChange, type Ledger } from "./LedgerEntries.ts"
import type { IdLink, LinkKey } from "./ports/IdLinks.ts"
import type { CrmKey, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerKey } from "./ports/WriteLedger.ts"
import type { OutgoingMessage } from "./Step.ts"
export interface ChangeInput {
  /** Position of the message in the batch. */
  readonly index: number
  readonly change: CrmChange
  readonly lane: LaneName
  /** 1 on first delivery; a retried message is read again whatever the snapshot says. */
  readonly attempt?: number
}

const objectKey = (type: string, id: string) => `${type}:${id}`
const isRemoval = (change: CrmChange) => change.kind === "deletion" || change.kind === "privacyDeletion"
const survivorOf = (change: CrmChange) => change.primaryObjectId ?? change.objectId
const mergedOf = (change: CrmChange) => (change.mergedObjectIds ?? []).filter((id) => id !== survivorOf(change))

const message = (type: string, id: string, payload: unknown, occurredAt: number, lane: LaneName): OutgoingMessage => ({ id, type, payload, occurredAt, lane })

/** Stored links as a lookup by CRM id. */
export class LinkIndex {
  private readonly byCrm = new Map<string, string>()
  constructor(links: ReadonlyArray<IdLink>) {
    for (const l of links) this.byCrm.set(objectKey(l.entity, l.crmId), l.commerceId)
  }
  commerceId(entity: CommerceEntity, crmId: string): string | undefined {
    return this.byCrm.get(objectKey(entity, crmId))
  }
  /** What `IdLinks.repoint` will do: a survivor without a link takes the first merged one's. */
  repoint(entity: CommerceEntity, merged: ReadonlyArray<string>, survivor: string): void {
    for (const id of merged) {
      const commerceId = this.commerceId(entity, id)
      if (commerceId === undefined || this.commerceId(entity, survivor) !== undefined) continue
      this.byCrm.set(objectKey(entity, survivor), commerceId)
      this.byCrm.delete(objectKey(entity, id))
    }
  }
}

/** The CRM attributes the change to our own app: triage drops it whatever the store holds. */
const attributedToUs = (change: CrmChange) => change.origin === "us" && change.kind !== "merge"

/**
 * Round 1: what to load before anything is read from HubSpot. Changes attributed to us ask for
 * nothing: every write we make comes back as such echoes, and on FerretDB each key asked costs
 * a scan of the collection's documents.
 */
export const triageKeys = (
  all: ReadonlyArray<ChangeInput>
): { readonly snapshots: ReadonlyArray<CrmKey>; readonly ledger: ReadonlyArray<LedgerKey>; readonly links: ReadonlyArray<LinkKey> } =>
  keysOf(all.filter(({ change }) => !attributedToUs(change)))

const keysOf = (
  inputs: ReadonlyArray<ChangeInput>
): { readonly snapshots: ReadonlyArray<CrmKey>; readonly ledger: ReadonlyArray<LedgerKey>; readonly links: ReadonlyArray<LinkKey> } => ({
  snapshots: inputs
    .filter(({ change }) => !isRemoval(change) && change.kind !== "merge")
    .map(({ change }) => ({ type: change.objectType, id: change.objectId })),
  ledger: inputs.map(({ change }) => crmLedgerKey(change.objectType, change.objectId)),
  links: inputs.flatMap(({ change }) =>
    isRemoval(change)
      ? [{ entity: entityOf[change.objectType], id: change.objectId }]
      : change.kind === "merge"
        ? [survivorOf(change), ...mergedOf(change)].map((id) => ({ entity: entityOf[change.objectType], id }))
        : []
  )
})

export interface Wanted {
  readonly index: number
  readonly lane: LaneName
  readonly type: CrmObjectType
  readonly id: string
  /** The CRM says someone else made this change: news even when its values are ones we wrote. */
  readonly byOthers?: boolean
}
export interface Repoint {
  readonly entity: CommerceEntity
  readonly merged: ReadonlyArray<string>
  readonly survivor: string
}
export interface Triage {
  /** Deletions and merges, in message order. */
  readonly publish: ReadonlyArray<OutgoingMessage>
  readonly repoints: ReadonlyArray<Repoint>
  /** Objects whose current state (and neighbours) the shop should get. */
  readonly wanted: ReadonlyArray<Wanted>
}

/**
 * Decides each change before any HubSpot read: our own echo and a change a later read already
 * carried are dropped; deletions and merges say what they say with the ids known now (so a
 * retried publish says exactly the same thing); the rest (and merge survivors) want a read.
 */
export const triage = (inputs: ReadonlyArray<ChangeInput>, snapshots: ReadonlyArray<CrmSnapshot>, ledger: Ledger, links: ReadonlyArray<IdLink>): Triage => {
  const stored = new Map(snapshots.map((s) => [objectKey(s.type, s.id), s]))
  const index = new LinkIndex(links)
  const publish: Array<OutgoingMessage> = []
  const repoints: Array<Repoint> = []
  const wanted: Array<Wanted> = []
  for (const { index: i, change, lane, attempt } of inputs) {
    const entity = entityOf[change.objectType]
    // The CRM attributes the change to our own app: an echo, whatever its values.
    if (attributedToUs(change)) continue
    const byOthers = change.origin === "others"
    if (!byOthers && change.kind === "propertyChange" && change.propertyName !== undefined && change.propertyValue !== undefined) {
      if (isOwnCrmChange(ledger, change.objectType, change.objectId, { [change.propertyName]: change.propertyValue })) continue
    }
    if (isRemoval(change)) {
      if (!byOthers && isOwnCrmChange(ledger, change.objectType, change.objectId, ARCHIVED)) continue
      const commerceId = index.commerceId(entity, change.objectId)
      const payload: EntityDelete = { entity, crmId: change.objectId, version: change.occurredAt, ...(commerceId === undefined ? {} : { commerceId }) }
      publish.push(message(routingKeys.delete(entity), change.key, payload, change.occurredAt, lane))
      continue
    }
    if (change.kind === "merge") {
      const survivor = survivorOf(change)
      const merged = mergedOf(change)
      const survivorCommerceId = index.commerceId(entity, survivor)
      const payload: EntityMerge = {
        entity,
        survivorCrmId: survivor,
        mergedCrmIds: merged,
        mergedCommerceIds: merged.flatMap((id) => index.commerceId(entity, id) ?? []).filter((id) => id !== survivorCommerceId),
        version: change.occurredAt,
        ...(survivorCommerceId === undefined ? {} : { survivorCommerceId })
      }
      publish.push(message(routingKeys.merge(entity), change.key, payload, change.occurredAt, lane))
      repoints.push({ entity, merged, survivor })
      wanted.push({ index: i, lane, type: change.objectType, id: survivor, byOthers: true })
      continue
    }
    // Coalescing: a read made after this event already carried its effect to the platform. Not
    // for a retried message: it failed for a reason (a link the shop may not have resolved, a read
    // that may predate our write) that only a new read settles.
    const snapshot = stored.get(objectKey(change.objectType, change.objectId))
    if (snapshot !== undefined && snapshot.version >= change.occurredAt && change.kind !== "associationChange" && (attempt ?? 1) <= 1) continue
    wanted.push({ index: i, lane, type: change.objectType, id: change.objectId, byOthers })
  }
  return { publish, repoints, wanted }
}

/** The stored links as they will be once the batch's merges are repointed. */
export const linksAfter = (links: ReadonlyArray<IdLink>, repoints: ReadonlyArray<Repoint>): LinkIndex => {
  const index = new LinkIndex(links)
  for (const r of repoints) index.repoint(r.entity, r.merged, r.survivor)
  return index
}
