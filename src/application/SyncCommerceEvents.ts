// Flow C for a batch of shop events: load (the platform for id-only events, the store, then
// HubSpot for the known records) → decide (DecideCommerceEvents, pure) → write in two rounds:
// records (one update, upsert and archive call per type), then links, associations and the
// ids the shop does not know yet, each in one call for the whole batch.
import { Clock, Effect, Result, Schema } from "effect"
import type { CommerceEntity } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { CommerceEvent } from "./CommerceMessages.ts"
import { type Outcome, refusalOf, updateRecords, upsertRecords } from "./CrmBatchWrites.ts"
import { coalesce, entityKey, type EventInput, goneAreDone, idsToFetch, parseEventType } from "./CoalesceCommerceEvents.ts"
import { firstKeys, knownKeys, linkIndex, planWrites, recordsToRead, screen, splitEchoes } from "./DecideCommerceEvents.ts"
import { settle } from "./SettleCommerceWrites.ts"
import { crmWritesLanded, ledgerOf } from "./LedgerEntries.ts"
import { CommerceApi, type UnvalidatedRecord } from "./ports/CommerceApi.ts"
import { Crm, type CrmIdOf } from "./ports/Crm.ts"
import { IdLinks } from "./ports/IdLinks.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { Snapshots } from "./ports/Snapshots.ts"
import { WriteLedger } from "./ports/WriteLedger.ts"
import { idsByType, readCrmRecords } from "./ReadCrmRecords.ts"
import type { BatchHandler, Envelope } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"

const decodeEvent = Schema.decodeUnknownResult(CommerceEvent)
const permanent = (reason: string) => new StepFailure({ retryable: false, reason })

const decodeAll = (messages: ReadonlyArray<Envelope>) => {
  const inputs: Array<EventInput> = []
  const failures = new Map<number, StepFailure>()
  messages.forEach((m, index) => {
    const parsed = parseEventType(m.type)
    const event = decodeEvent(m.payload)
    if (parsed === undefined) failures.set(index, permanent(`unknown commerce event type ${m.type}`))
    else if (Result.isFailure(event)) failures.set(index, permanent(`not a commerce event: ${event.failure.message}`))
    else inputs.push({ index, entity: parsed[0], action: parsed[1], event: event.success, lane: m.lane })
  })
  return { inputs, failures }
}

const fetchAll = Effect.fn("fetchAll")(function* (ids: ReadonlyMap<CommerceEntity, ReadonlyArray<string>>) {
  const api = yield* CommerceApi
  const found = yield* Effect.forEach(ids, ([entity, list]) => Effect.map(api.fetchMany(entity, list), (records) => records.map((f) => [`${entity}:${f.id}`, f.record] as const)), {
    concurrency: "unbounded"
  })
  return new Map<string, UnvalidatedRecord>(found.flat())
})

/** One call per type, all types at once; the answers by type and key. */
const perType = <I, E, R>(inputs: ReadonlyMap<CrmObjectType, ReadonlyArray<I>>, send: (type: CrmObjectType, list: ReadonlyArray<I>) => Effect.Effect<ReadonlyMap<string, Outcome>, E, R>) =>
  Effect.map(
    Effect.forEach(inputs, ([type, list]) => Effect.map(send(type, list), (outcomes) => [type, outcomes] as const), { concurrency: "unbounded" }),
    (entries) => new Map(entries)
  )

/** The HubSpot records a write was applied to. */
const appliedIds = (outcomes: ReadonlyMap<CrmObjectType, ReadonlyMap<string, Outcome>>) =>
  [...outcomes].flatMap(([type, byKey]) => [...byKey.values()].flatMap((outcome) => (outcome._tag === "Applied" ? [{ type, id: outcome.id }] : [])))

/** The shop object an event is about ("user:u-1"), for its lease; undefined for a malformed one. */
export const commerceObjectOf = (m: Envelope): string | undefined => {
  const parsed = parseEventType(m.type)
  const id = (m.payload as { readonly id?: unknown } | null)?.id
  return parsed === undefined || typeof id !== "string" ? undefined : entityKey(parsed[0], id)
}

const when = <A, E, R>(condition: boolean, effect: Effect.Effect<A, E, R>, otherwise: A) => (condition ? effect : Effect.succeed(otherwise))

export const syncCommerceEvents: BatchHandler<CommerceApi | Crm | Snapshots | IdLinks | WriteLedger | MessageBus> = Effect.fn("syncCommerceEvents")(
  function* (messages: ReadonlyArray<Envelope>) {
    const { inputs, failures } = decodeAll(messages)
    const snapshots = yield* Snapshots
    const idLinks = yield* IdLinks
    const ledger = yield* WriteLedger
    const now = yield* Clock.currentTimeMillis

    const coalesced = coalesce(inputs, yield* fetchAll(idsToFetch(inputs)))
    const first = firstKeys(coalesced)
    const [seen, storedLinks] = yield* Effect.all(
      [when(first.seen.length > 0, snapshots.getCommerce(first.seen), []), when(first.links.length > 0, idLinks.find({ commerceIds: first.links }), [])],
      { concurrency: "unbounded" }
    )
    const links = linkIndex(storedLinks)
    const live = screen(coalesced.updates, seen, links)
    const known = knownKeys(live)
    const [entries, crmSnapshots] = yield* Effect.all(
      [when(known.ledger.length > 0, ledger.find(known.ledger, now), []), when(known.snapshots.length > 0, snapshots.getCrm(known.snapshots), [])],
      { concurrency: "unbounded" }
    )
    const { echoes, fresh } = splitEchoes(live, ledgerOf(entries, now))
    const records = yield* readCrmRecords(idsByType(recordsToRead(fresh)))
    const plan = planWrites(fresh, coalesced.deletions, { records, snapshots: crmSnapshots, links, now })

    // Recorded before the writes: the webhook reporting them may arrive before the calls return.
    if (plan.ledger.length > 0) yield* ledger.record(plan.ledger)
    const crm = yield* Crm
    const [updates, upserts] = yield* Effect.all(
      [
        perType(plan.updates, updateRecords),
        perType(plan.upserts, upsertRecords),
        Effect.forEach(plan.archives, ([type, ids]) => crm.archive(type, ids as ReadonlyArray<CrmIdOf[CrmObjectType]>), { concurrency: "unbounded", discard: true })
      ],
      { concurrency: "unbounded" }
    )
    const settled = settle(plan, echoes, coalesced.deletions, { updates, upserts }, refusalOf, now)
    // When our updates landed: a flow A read begun before then may show the older values (issue 9 #10).
    const landed = crmWritesLanded([...appliedIds(updates), ...appliedIds(upserts)], yield* Clock.currentTimeMillis)
    if (settled.ledger.length + landed.length > 0) yield* ledger.record([...settled.ledger, ...landed])
    if (settled.crmSnapshots.length > 0) yield* snapshots.saveCrm(settled.crmSnapshots)
    // Linked only once HubSpot took the id, so a refused write leaves no link to a dead record.
    if (settled.links.length > 0) yield* idLinks.link(settled.links)
    if (settled.associations.length > 0) yield* crm.associate(settled.associations)
    if (settled.publish.length > 0) yield* (yield* MessageBus).publish(settled.publish)
    if (settled.commerceSnapshots.length > 0) yield* snapshots.saveCommerce(settled.commerceSnapshots)

    const waiting = goneAreDone(coalesced, new Set(seen.map((s) => entityKey(s.entity, s.id))))
    for (const [index, f] of [...waiting, ...plan.failed, ...settled.failed]) failures.set(index, new StepFailure({ retryable: f.retryable, reason: f.reason }))
    return messages.map((_, index) => failures.get(index))
  },
  Effect.mapError(toStepFailure)
)
