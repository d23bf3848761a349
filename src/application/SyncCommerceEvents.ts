// Flow C for a batch of shop events: load (the platform for id-only events, the store, then
// HubSpot for the known records) → decide (DecideCommerceEvents, pure) → write in two rounds:
// records (one update, upsert and archive call per type), then links, associations and the
// ids the shop does not know yet, each in one call for the whole batch.
import { Clock, Effect, Result, Schema } from "effect"
import type { CommerceEntity } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { coalesce, type EventInput, entityKey, goneAreDone, idsToFetch, parseEventType } from "./CoalesceCommerceEvents.ts"
import { CommerceEvent } from "./CommerceMessages.ts"
import { type Outcome, refusalOf, updateRecords, upsertRecords } from "./CrmBatchWrites.ts"
import { firstKeys, knownKeys, linkIndex, planWrites, recordsToRead, screen, splitEchoes } from "./DecideCommerceEvents.ts"
import { crmWritesLanded, ledgerOf } from "./LedgerEntries.ts"
import { CommerceApi, type CommerceApiError, type UnvalidatedRecord } from "./ports/CommerceApi.ts"
import { Crm, type CrmError, type CrmIdOf, type CrmLink } from "./ports/Crm.ts"
import { type IdLink, IdLinks } from "./ports/IdLinks.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { Snapshots } from "./ports/Snapshots.ts"
import { WriteLedger } from "./ports/WriteLedger.ts"
import { idsByType, readCrmRecords } from "./ReadCrmRecords.ts"
import { settle } from "./SettleCommerceWrites.ts"
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

/** One lookup per id alone, when the batch lookup failed: which ids fail, and how. */
const fetchEachAlone = (entity: CommerceEntity, ids: ReadonlyArray<string>) =>
  Effect.flatMap(CommerceApi, (api) =>
    Effect.forEach(ids, (id) => Effect.result(api.fetchMany(entity, [id])).pipe(Effect.map((result) => [id, result] as const)), { concurrency: 8 })
  )

/**
 * The records of id-only events, one call per entity. When a call fails, each id is looked up
 * alone, so one id the shop refuses (a 4xx, a body that does not decode) fails its own events,
 * not the whole batch.
 */
const fetchAll = Effect.fn("fetchAll")(function* (ids: ReadonlyMap<CommerceEntity, ReadonlyArray<string>>) {
  const api = yield* CommerceApi
  const found = new Map<string, UnvalidatedRecord>()
  const failed = new Map<string, CommerceApiError>()
  yield* Effect.forEach(
    ids,
    ([entity, list]) =>
      api.fetchMany(entity, list).pipe(
        Effect.tap((records) =>
          Effect.sync(() => {
            for (const f of records) found.set(entityKey(entity, f.id), f.record)
          })
        ),
        Effect.catch(() =>
          Effect.tap(fetchEachAlone(entity, list), (results) =>
            Effect.sync(() => {
              for (const [id, result] of results) {
                if (Result.isFailure(result)) failed.set(entityKey(entity, id), result.failure)
                else for (const f of result.success) found.set(entityKey(entity, f.id), f.record)
              }
            })
          )
        )
      ),
    { concurrency: "unbounded", discard: true }
  )
  return { found, failed }
})

/** One call per type, all types at once; the answers by type and key. */
const perType = <I, E, R>(
  inputs: ReadonlyMap<CrmObjectType, ReadonlyArray<I>>,
  send: (type: CrmObjectType, list: ReadonlyArray<I>) => Effect.Effect<ReadonlyMap<string, Outcome>, E, R>
) =>
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

/**
 * Sends the whole list; when the CRM refuses it outright, each item alone (a few at a time), so
 * only the refused items fail and their neighbours go through. Returns the refused items.
 */
const refusedAlone = <I, R>(
  items: ReadonlyArray<I>,
  send: (items: ReadonlyArray<I>) => Effect.Effect<void, CrmError, R>
): Effect.Effect<ReadonlyArray<readonly [I, CrmError]>, CrmError, R> =>
  send(items).pipe(
    Effect.as<ReadonlyArray<readonly [I, CrmError]>>([]),
    Effect.catch((error) =>
      error.isRetryable
        ? Effect.fail(error)
        : items.length === 1
          ? Effect.succeed([[items[0] as I, error] as const])
          : Effect.map(
              Effect.forEach(items, (item) => refusedAlone([item], send), { concurrency: 4 }),
              (lists) => lists.flat()
            )
    )
  )

const when = <A, E, R>(condition: boolean, effect: Effect.Effect<A, E, R>, otherwise: A) => (condition ? effect : Effect.succeed(otherwise))

/** The shop objects whose archive or association the CRM refused, with the message to fail. */
const refusedObjects = (
  inputs: ReadonlyArray<EventInput>,
  plan: { readonly planned: ReadonlyArray<{ readonly live: { readonly index: number; readonly entity: CommerceEntity; readonly id: string } }> },
  linked: ReadonlyArray<IdLink>,
  storedLinks: ReadonlyMap<string, string>,
  archives: ReadonlyArray<readonly [string, CrmError]>,
  associations: ReadonlyArray<readonly [CrmLink, CrmError]>
): ReadonlyMap<string, { readonly index: number; readonly reason: string }> => {
  const out = new Map<string, { readonly index: number; readonly reason: string }>()
  if (archives.length + associations.length === 0) return out
  for (const [crmId, error] of archives) {
    const deleted = inputs.find((i) => i.action === "deleted" && storedLinks.get(entityKey(i.entity, i.event.id)) === crmId)
    if (deleted !== undefined)
      out.set(entityKey(deleted.entity, deleted.event.id), { index: deleted.index, reason: `the CRM refused to archive ${crmId}: ${error.message}` })
  }
  for (const [link, error] of associations) {
    const owner = linked.find((l) => l.crmId === link.fromId)
    const planned = owner === undefined ? undefined : plan.planned.find((p) => p.live.entity === owner.entity && p.live.id === owner.commerceId)
    if (planned !== undefined) {
      out.set(entityKey(planned.live.entity, planned.live.id), {
        index: planned.live.index,
        reason: `the CRM refused to link ${link.fromId} to ${link.toId}: ${error.message}`
      })
    }
  }
  return out
}

export const syncCommerceEvents: BatchHandler<CommerceApi | Crm | Snapshots | IdLinks | WriteLedger | MessageBus> = Effect.fn("syncCommerceEvents")(function* (
  messages: ReadonlyArray<Envelope>
) {
  const { inputs, failures } = decodeAll(messages)
  const snapshots = yield* Snapshots
  const idLinks = yield* IdLinks
  const ledger = yield* WriteLedger
  const now = yield* Clock.currentTimeMillis

  const fetched = yield* fetchAll(idsToFetch(inputs))
  // An id-only event whose record the shop refused to serve fails alone, with that error's retryability.
  const unserved = inputs.filter((i) => i.action !== "deleted" && i.event.payload === undefined && fetched.failed.has(entityKey(i.entity, i.event.id)))
  for (const i of unserved) {
    const error = fetched.failed.get(entityKey(i.entity, i.event.id))
    failures.set(
      i.index,
      new StepFailure({ retryable: error?.isRetryable ?? true, reason: `the shop did not serve ${i.entity} ${i.event.id}: ${error?.message}` })
    )
  }
  const coalesced = coalesce(
    inputs.filter((i) => !unserved.includes(i)),
    fetched.found
  )
  const first = firstKeys(coalesced)
  const [seen, storedLinks] = yield* Effect.all(
    [
      when(first.seen.length > 0, snapshots.getCommerce(first.seen).pipe(Effect.withSpan("store.getCommerce")), []),
      when(first.links.length > 0, idLinks.find({ commerceIds: first.links }).pipe(Effect.withSpan("store.findLinks")), [])
    ],
    { concurrency: "unbounded" }
  )
  const links = linkIndex(storedLinks)
  const live = screen(coalesced.updates, seen, links)
  const known = knownKeys(live)
  const entries = yield* when(known.ledger.length > 0, ledger.find(known.ledger, now).pipe(Effect.withSpan("store.findLedger")), [])
  const ownWrites = ledgerOf(entries, now)
  const { echoes, fresh } = splitEchoes(live, ownWrites)
  // The merge base only for what is not our echo, read beside HubSpot's records: the shop
  // announcing what flow A wrote to it (a CRM → commerce backfill: a thousand a page) reads none.
  // Our own writes to HubSpot are asked for beside them too: HubSpot's value that is one of ours is
  // no CRM change in the merge (a run that died before saving its snapshot left an older base).
  const { snapshots: base, crmLedger } = knownKeys(fresh)
  const [records, crmSnapshots, crmEntries] = yield* Effect.all(
    [
      readCrmRecords(idsByType(recordsToRead(fresh))),
      when(base.length > 0, snapshots.getCrm(base).pipe(Effect.withSpan("store.getCrm")), []),
      when(crmLedger.length > 0, ledger.find(crmLedger, now).pipe(Effect.withSpan("store.findLedger")), [])
    ],
    { concurrency: "unbounded" }
  )
  const merging = crmEntries.length === 0 ? ownWrites : ledgerOf([...entries, ...crmEntries], now)
  const plan = planWrites(fresh, coalesced.deletions, { records, snapshots: crmSnapshots, links, ledger: merging, now })

  // Recorded before the writes: the webhook reporting them may arrive before the calls return.
  if (plan.ledger.length > 0) yield* ledger.record(plan.ledger).pipe(Effect.withSpan("store.recordLedger"))
  const crm = yield* Crm
  const [updates, upserts, archiveRefusals] = yield* Effect.all(
    [
      perType(plan.updates, updateRecords),
      perType(plan.upserts, upsertRecords),
      Effect.map(
        Effect.forEach(plan.archives, ([type, ids]) => refusedAlone(ids, (some) => crm.archive(type, some as ReadonlyArray<CrmIdOf[CrmObjectType]>)), {
          concurrency: "unbounded"
        }),
        (lists) => lists.flat()
      )
    ],
    { concurrency: "unbounded" }
  )
  // When our writes landed: a flow A read begun before then may show the older values (issue 9 #10).
  // What HubSpot created is recorded at that time too, so each record's entries are one document.
  const answeredAt = yield* Clock.currentTimeMillis
  const settled = settle(plan, echoes, coalesced.deletions, { updates, upserts }, refusalOf, answeredAt)
  const landed = crmWritesLanded([...appliedIds(updates), ...appliedIds(upserts)], answeredAt)
  // Links already stored as they are cost nothing; the rest only once HubSpot took the id, so a
  // refused write leaves no link to a dead record.
  const newLinks = settled.links.filter((l) => links.get(entityKey(l.entity, l.commerceId)) !== l.crmId)
  // What HubSpot's answers mean, recorded at once: none of these depends on another.
  const [, , , associationRefusals] = yield* Effect.all(
    [
      when(settled.ledger.length + landed.length > 0, ledger.record([...settled.ledger, ...landed]).pipe(Effect.withSpan("store.recordLedger")), undefined),
      when(settled.crmSnapshots.length > 0, snapshots.saveCrm(settled.crmSnapshots).pipe(Effect.withSpan("store.saveCrm")), []),
      when(newLinks.length > 0, idLinks.link(newLinks).pipe(Effect.withSpan("store.link")), undefined),
      when(settled.associations.length > 0, refusedAlone(settled.associations, crm.associate), [])
    ],
    { concurrency: "unbounded" }
  )
  if (settled.publish.length > 0) yield* (yield* MessageBus).publish(settled.publish)
  // A refused archive or association fails its own message only, and leaves its shop version
  // unremembered so that a replay does it again.
  const refused = refusedObjects(inputs, plan, settled.links, links, archiveRefusals, associationRefusals)
  const remembered = settled.commerceSnapshots.filter((s) => !refused.has(entityKey(s.entity, s.id)))
  if (remembered.length > 0) yield* snapshots.saveCommerce(remembered).pipe(Effect.withSpan("store.saveCommerce"))
  for (const { index, reason } of refused.values()) failures.set(index, new StepFailure({ retryable: false, reason }))

  const waiting = goneAreDone(coalesced, new Set(seen.map((s) => entityKey(s.entity, s.id))))
  for (const [index, f] of [...waiting, ...plan.failed, ...settled.failed]) failures.set(index, new StepFailure({ retryable: f.retryable, reason: f.reason }))
  return messages.map((_, index) => failures.get(index))
}, Effect.mapError(toStepFailure))
