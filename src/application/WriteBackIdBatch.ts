// Flow B for a batch: the commerce platform assigned ids to entities we sent; write them onto
// the HubSpot records (one update call per type) and remember the links (one write).
import { Clock, Effect, Result, Schema } from "effect"
import { IdsAssigned } from "./CommerceMessages.ts"
import { refusalOf, updateRecords } from "./CrmBatchWrites.ts"
import { afterWriteBacks, type IdInput, planWriteBacks } from "./DecideIdWriteBacks.ts"
import { crmWritesLanded } from "./LedgerEntries.ts"
import type { Crm } from "./ports/Crm.ts"
import { IdLinks } from "./ports/IdLinks.ts"
import { WriteLedger } from "./ports/WriteLedger.ts"
import type { BatchHandler, Envelope } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"

const decode = Schema.decodeUnknownResult(IdsAssigned)

export const writeBackIdBatch: BatchHandler<Crm | IdLinks | WriteLedger> = Effect.fn("writeBackIdBatch")(function* (messages: ReadonlyArray<Envelope>) {
  const inputs: Array<IdInput> = []
  const failures = new Map<number, StepFailure>()
  messages.forEach((m, index) => {
    const ids = decode(m.payload)
    if (Result.isSuccess(ids)) inputs.push({ index, ids: ids.success })
    else failures.set(index, new StepFailure({ retryable: false, reason: `not an id assignment: ${ids.failure.message}` }))
  })
  const plan = planWriteBacks(inputs, yield* Clock.currentTimeMillis)
  // Recorded before the write: the webhook reporting it may arrive before the call returns.
  if (plan.ledger.length > 0) yield* (yield* WriteLedger).record(plan.ledger)
  const outcomes = new Map(
    yield* Effect.forEach(plan.updates, ([type, updates]) => Effect.map(updateRecords(type, updates), (o) => [type, o] as const), { concurrency: "unbounded" })
  )
  const after = afterWriteBacks(inputs, outcomes, refusalOf)
  // When the ids landed: a flow A read begun before then may not show them yet (issue 9 #10).
  const landed = [...outcomes].flatMap(([type, byId]) => [...byId.values()].flatMap((o) => (o._tag === "Applied" ? [{ type, id: o.id }] : [])))
  if (landed.length > 0) yield* (yield* WriteLedger).record(crmWritesLanded(landed, yield* Clock.currentTimeMillis))
  if (after.links.length > 0) yield* (yield* IdLinks).link(after.links)
  for (const [index, refusal] of after.refused) failures.set(index, new StepFailure({ retryable: refusal.retryable, reason: refusal.message }))
  return messages.map((_, index) => failures.get(index))
}, Effect.mapError(toStepFailure))
