// Flow B's decisions for a batch of id assignments, pure: which HubSpot records get which
// commerce id (recorded in the ledger first, since HubSpot's webhook may beat the call's
// answer), and — once HubSpot answered — which links to store and which messages failed.
import { commerceIdProperty, crmTypeOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import type { IdsAssigned } from "./CommerceMessages.ts"
import type { Outcome, Refusal } from "./CrmBatchWrites.ts"
import { crmWrites } from "./LedgerEntries.ts"
import type { IdLink } from "./ports/IdLinks.ts"
import type { LedgerEntry } from "./ports/WriteLedger.ts"

export interface IdInput {
  readonly index: number
  readonly ids: IdsAssigned
}

const propertiesOf = (ids: IdsAssigned): CrmProperties => ({ [commerceIdProperty[ids.entity]]: ids.commerceId })

export const planWriteBacks = (
  inputs: ReadonlyArray<IdInput>,
  now: number
): {
  readonly ledger: ReadonlyArray<LedgerEntry>
  readonly updates: ReadonlyMap<CrmObjectType, ReadonlyArray<{ readonly id: string; readonly properties: CrmProperties }>>
} => {
  const updates = new Map<CrmObjectType, Array<{ readonly id: string; readonly properties: CrmProperties }>>()
  for (const { ids } of inputs) {
    const type = crmTypeOf[ids.entity]
    const update = { id: ids.crmId, properties: propertiesOf(ids) }
    const same = updates.get(type)
    if (same === undefined) updates.set(type, [update])
    else same.push(update)
  }
  return { ledger: inputs.flatMap(({ ids }) => crmWrites(crmTypeOf[ids.entity], ids.crmId, propertiesOf(ids), now)), updates }
}

/** Linked only once HubSpot took the id, so a refused write leaves no link to a dead record. */
export const afterWriteBacks = (
  inputs: ReadonlyArray<IdInput>,
  outcomes: ReadonlyMap<CrmObjectType, ReadonlyMap<string, Outcome>>,
  refusalOf: (outcome: Extract<Outcome, { _tag: "Rejected" }>) => Refusal
): { readonly links: ReadonlyArray<IdLink>; readonly refused: ReadonlyMap<number, Refusal> } => {
  const links: Array<IdLink> = []
  const refused = new Map<number, Refusal>()
  for (const { index, ids } of inputs) {
    const type = crmTypeOf[ids.entity]
    const outcome = outcomes.get(type)?.get(ids.crmId)
    if (outcome?._tag === "Applied") links.push({ entity: ids.entity, crmId: ids.crmId, commerceId: ids.commerceId })
    else {
      const refusal = outcome === undefined ? { retryable: true, message: "no outcome" } : refusalOf(outcome)
      refused.set(index, { retryable: refusal.retryable, message: `the CRM refused ${type} ${ids.crmId}: ${refusal.message}` })
    }
  }
  return { links, refused }
}
