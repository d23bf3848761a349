// Flow C's last decision, pure: what HubSpot's answers mean per object — what to link,
// associate, remember and tell the shop, and which message failed.
import { crmTypeOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { type Deletion, type Failed, entityKey as key, type Update } from "./CoalesceCommerceEvents.ts"
import { type IdsAssigned, routingKeys } from "./CommerceMessages.ts"
import type { Outcome, Refusal } from "./CrmBatchWrites.ts"
import type { Live, WritePlan } from "./DecideCommerceEvents.ts"
import { crmWrites } from "./LedgerEntries.ts"
import type { CrmLink, CrmRecordOf } from "./ports/Crm.ts"
import type { IdLink } from "./ports/IdLinks.ts"
import type { CommerceSnapshot, CrmSnapshot } from "./ports/Snapshots.ts"
import type { LedgerEntry } from "./ports/WriteLedger.ts"
import type { CrmRecord } from "./ShopUpserts.ts"
import type { OutgoingMessage } from "./Step.ts"

const emptyRecord = (type: CrmObjectType, id: string) =>
  ({ id, properties: {}, updatedAt: 0, companyIds: [], contactIds: [] }) as unknown as CrmRecordOf[typeof type]

/**
 * After our write, both sides agree on what we wrote, and on nothing new otherwise: the base keeps
 * its version and its other values. Recording HubSpot's whole current record here would claim
 * that edits the shop has not received were synced, and flow A would then skip them.
 */
const rememberWrite = (type: CrmObjectType, base: CrmSnapshot | undefined, crmId: string, written: CrmProperties): CrmSnapshot =>
  ({
    type,
    id: crmId,
    version: base?.version ?? 0,
    record: { ...emptyRecord(type, crmId), ...base?.record, id: crmId, properties: { ...base?.record.properties, ...written } }
  }) as CrmSnapshot

const linkedIds = (current: CrmRecord | undefined): ReadonlySet<string> =>
  new Set(
    current === undefined
      ? []
      : [...("companyIds" in current.record ? current.record.companyIds : []), ...("contactIds" in current.record ? current.record.contactIds : [])]
  )

export interface Settled {
  /** Properties HubSpot took on records it created (their ids were unknown before). */
  readonly ledger: ReadonlyArray<LedgerEntry>
  readonly crmSnapshots: ReadonlyArray<CrmSnapshot>
  readonly links: ReadonlyArray<IdLink>
  readonly associations: ReadonlyArray<CrmLink>
  /** HubSpot ids the shop does not know yet. */
  readonly publish: ReadonlyArray<OutgoingMessage>
  /** Saved last: a failure before leaves the event to be handled again. */
  readonly commerceSnapshots: ReadonlyArray<CommerceSnapshot>
  readonly failed: ReadonlyMap<number, Failed>
}

/** Round 6: what HubSpot's answers mean, per object; a refused record fails its message alone. */
export const settle = (
  plan: WritePlan,
  echoes: ReadonlyArray<Live>,
  deletions: ReadonlyArray<Deletion>,
  outcomes: {
    readonly updates: ReadonlyMap<CrmObjectType, ReadonlyMap<string, Outcome>>
    readonly upserts: ReadonlyMap<CrmObjectType, ReadonlyMap<string, Outcome>>
  },
  refusalOf: (outcome: Extract<Outcome, { _tag: "Rejected" }>) => Refusal,
  now: number
): Settled => {
  const out = {
    ledger: [] as Array<LedgerEntry>,
    crmSnapshots: [] as Array<CrmSnapshot>,
    links: [] as Array<IdLink>,
    associations: [] as Array<CrmLink>,
    publish: [] as Array<OutgoingMessage>
  }
  const commerceSnapshots: Array<CommerceSnapshot> = []
  const failed = new Map<number, Failed>()
  const snapshotOf = (u: Update): CommerceSnapshot => ({ entity: u.entity, id: u.id, version: u.version, record: u.record })
  // First what HubSpot took, so a target written beside its referrer can be associated.
  const applied = new Map<string, { readonly crmId: string; readonly created: boolean }>()
  for (const { live, write } of plan.planned) {
    const type = crmTypeOf[live.entity]
    const outcome =
      write._tag === "update" ? outcomes.updates.get(type)?.get(write.crmId) : write._tag === "upsert" ? outcomes.upserts.get(type)?.get(live.id) : undefined
    if (write._tag === "none") applied.set(key(live.entity, live.id), { crmId: write.crmId, created: false })
    else if (outcome?._tag === "Applied") {
      // A known record keeps its id; a created or matched one has the id HubSpot gave.
      applied.set(key(live.entity, live.id), { crmId: write._tag === "update" ? write.crmId : outcome.id, created: write._tag === "upsert" && outcome.created })
    } else {
      const refusal = outcome === undefined ? { retryable: true, message: "no outcome" } : refusalOf(outcome)
      failed.set(live.index, { retryable: refusal.retryable, reason: `the CRM refused ${live.entity} ${live.id}: ${refusal.message}` })
    }
  }
  for (const { live, targets, current, base, write } of plan.planned) {
    const type = crmTypeOf[live.entity]
    const done = applied.get(key(live.entity, live.id))
    if (done === undefined) continue
    const { crmId, created } = done
    if (write._tag === "upsert") out.ledger.push(...crmWrites(type, crmId, write.properties, now))
    const resolved = targets.map((t) => ({ ...t, toId: t.toId ?? applied.get(key(t.entity, t.id))?.crmId }))
    const unresolved = resolved.find((t) => t.toId === undefined)
    // Its target was refused beside it: nothing is remembered, so the retry links it once it exists.
    if (unresolved !== undefined) {
      failed.set(live.index, { retryable: true, reason: `${unresolved.entity} ${unresolved.id} is not in the CRM yet` })
      continue
    }
    if (write._tag !== "none") out.crmSnapshots.push(rememberWrite(type, base, crmId, write.properties))
    out.links.push({ entity: live.entity, crmId, commerceId: live.id })
    const existing = linkedIds(current)
    out.associations.push(
      ...resolved.flatMap((t) => (t.toId === undefined || existing.has(t.toId) ? [] : [{ fromType: type, fromId: crmId, toType: t.toType, toId: t.toId }]))
    )
    if (created || live.record["crmId"] !== crmId) {
      const ids: IdsAssigned = { entity: live.entity, crmId, commerceId: live.id }
      out.publish.push({
        id: `${live.entity}:${live.id}:crm`,
        type: routingKeys.crmIds,
        payload: ids,
        occurredAt: Date.parse(String(live.record["updatedAt"])),
        lane: live.lane
      })
    }
    commerceSnapshots.push(snapshotOf(live))
  }
  for (const echo of echoes) {
    out.links.push({ entity: echo.entity, crmId: echo.known as string, commerceId: echo.id })
    commerceSnapshots.push(snapshotOf(echo))
  }
  // A tombstone: a late or redelivered event from before the deletion must not bring it back.
  for (const d of deletions) commerceSnapshots.push({ entity: d.entity, id: d.id, version: d.deletedAt, record: null })
  return { ...out, commerceSnapshots, failed }
}
