// Flow A for a batch of CRM changes: load (store, then HubSpot, then store again for what the
// reads revealed) → decide (DecideCrmChanges, pure) → write (ledger, one publish, repoints,
// snapshots). Reading current state, not replaying events, coalesces a burst into one sync and
// lets the newest state win.
import { Clock, Effect, Result, Schema } from "effect"
import { CrmChange } from "../domain/CrmChange.ts"
import { commerceKeys, decideUpserts, neighbourKeys, neighboursToRead, parentKeys, recordKeys } from "./DecideCrmChanges.ts"
import { ledgerOf } from "./LedgerEntries.ts"
import type { Crm } from "./ports/Crm.ts"
import { IdLinks, type LinkKey } from "./ports/IdLinks.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { type CommerceKey, type CrmKey, Snapshots } from "./ports/Snapshots.ts"
import { type LedgerKey, WriteLedger } from "./ports/WriteLedger.ts"
import { idsByType, ReadAhead, readCrmRecords, recordKey } from "./ReadCrmRecords.ts"
import type { CrmRecord } from "./ShopUpserts.ts"
import type { BatchHandler, Envelope } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"
import { type ChangeInput, LinkIndex, linksAfter, triage, triageKeys, type Wanted } from "./TriageCrmChanges.ts"

const decodeChange = Schema.decodeUnknownResult(CrmChange)

/** Each message alone: one that is not a CRM change is parked without touching its neighbours. */
const decodeAll = (messages: ReadonlyArray<Envelope>) => {
  const inputs: Array<ChangeInput> = []
  const failures = new Map<number, StepFailure>()
  messages.forEach((m, index) => {
    const decoded = decodeChange(m.payload)
    if (Result.isSuccess(decoded)) inputs.push({ index, change: decoded.success, lane: m.lane, attempt: m.attempt })
    else failures.set(index, new StepFailure({ retryable: false, reason: `not a CRM change: ${decoded.failure.message}` }))
  })
  return { inputs, failures }
}

/** One query per store for a set of keys; none at all when there is nothing to ask. */
const load = Effect.fn("SyncCrmChanges.load")(function* (
  keys: { readonly snapshots: ReadonlyArray<CrmKey>; readonly ledger: ReadonlyArray<LedgerKey>; readonly links: ReadonlyArray<LinkKey> },
  now: number
) {
  const [snapshots, ledger, links] = yield* Effect.all(
    [
      keys.snapshots.length === 0 ? Effect.succeed([]) : Effect.flatMap(Snapshots, (s) => s.getCrm(keys.snapshots)).pipe(Effect.withSpan("store.getCrm")),
      keys.ledger.length === 0 ? Effect.succeed([]) : Effect.flatMap(WriteLedger, (l) => l.find(keys.ledger, now)).pipe(Effect.withSpan("store.findLedger")),
      keys.links.length === 0 ? Effect.succeed([]) : Effect.flatMap(IdLinks, (l) => l.find({ crmIds: keys.links })).pipe(Effect.withSpan("store.findLinks"))
    ],
    { concurrency: "unbounded" }
  )
  return { snapshots, ledger: ledgerOf(ledger, now), entries: ledger, links }
})

const loadSeen = (keys: ReadonlyArray<CommerceKey>) =>
  keys.length === 0 ? Effect.succeed([]) : Effect.flatMap(Snapshots, (s) => s.getCommerce(keys)).pipe(Effect.withSpan("store.getCommerce"))

const noKeys = { snapshots: [], ledger: [], links: [] }

export interface HandlerOptions {
  /**
   * false skips round 1 (the store's view before any read), for changes it cannot drop: a
   * backfill page by id is dated "now" and names no property, so neither a snapshot nor the
   * ledger can show it already synced or our own echo; every record is read either way and
   * round 3 (after the reads) still decides against what is stored. Two fewer scans a page.
   */
  readonly fromStore: boolean
  /**
   * false: a company travels without its contacts. For a backfill that syncs the contacts in
   * their own pages (each with its company, the parent, as neighbour): otherwise every contact
   * is read and decided twice, and a page of companies asks the store about four times the keys.
   */
  readonly companyContacts: boolean
  /**
   * true leaves unread the parents synced already (a stored link or a snapshot; `neighboursToRead`):
   * in a backfill's contact pages the companies were synced by their own pages, and reading each
   * contact's company again cost a read and its associations per 100 contacts. The records' store
   * keys (and the parents' snapshots) are then loaded before the neighbours are read.
   */
  readonly skipSyncedParents: boolean
}

/** What one `load` returned; two of them as one. */
type FromStore = Effect.Success<ReturnType<typeof load>>
const merged = (a: FromStore, b: FromStore, now: number): FromStore => ({
  snapshots: [...a.snapshots, ...b.snapshots],
  ledger: ledgerOf([...a.entries, ...b.entries], now),
  entries: [...a.entries, ...b.entries],
  links: [...a.links, ...b.links]
})

export const syncCrmChangesWith = (options: HandlerOptions): BatchHandler<Snapshots | IdLinks | WriteLedger | MessageBus | Crm> =>
  Effect.fn("syncCrmChanges")(function* (messages: ReadonlyArray<Envelope>) {
    const { inputs, failures } = decodeAll(messages)
    // Records read ahead (a backfill page's list) were read before now: a write of ours that
    // landed since must count as possibly missing from them, so "now" is when their read began.
    const ahead = yield* ReadAhead
    const now = Math.min(yield* Clock.currentTimeMillis, ahead?.readAt ?? Number.POSITIVE_INFINITY)
    const first = yield* load(options.fromStore ? triageKeys(inputs) : noKeys, now)
    const triaged = triage(inputs, first.snapshots, first.ledger, first.links)
    const primaries = yield* readCrmRecords(idsByType(triaged.wanted))
    const travellers = travelling(triaged.wanted, options)
    let records: Map<string, CrmRecord>
    let second: FromStore
    let unread: ReadonlySet<string> | undefined
    if (options.skipSyncedParents) {
      // The parents' snapshots come with the records' keys: a parent with one was synced already.
      const keys = recordKeys(primaries)
      const ofPrimaries = yield* load({ ...keys, snapshots: [...keys.snapshots, ...parentKeys(travellers, primaries)] }, now)
      const synced = new Set(ofPrimaries.snapshots.map((s) => recordKey(s.type, s.id)))
      const neighbours = yield* readCrmRecords(idsByType(neighboursToRead(travellers, primaries, new LinkIndex(ofPrimaries.links), synced), primaries))
      const fresh = new Map([...neighbours].filter(([key]) => !primaries.has(key)))
      records = new Map([...primaries, ...neighbours])
      unread = new Set([...synced].filter((key) => !records.has(key)))
      second = fresh.size === 0 ? ofPrimaries : merged(ofPrimaries, yield* load(recordKeys(fresh), now), now)
    } else {
      const neighbours = yield* readCrmRecords(idsByType(neighbourKeys(travellers, primaries), primaries))
      records = new Map([...primaries, ...neighbours])
      second = yield* load(recordKeys(records), now)
    }
    const links = linksAfter([...first.links, ...second.links], triaged.repoints)
    const seen = yield* loadSeen(commerceKeys(records, links))
    const decision = decideUpserts(triaged.wanted, {
      records,
      snapshots: second.snapshots,
      links,
      seen,
      ledger: ledgerOf([...first.entries, ...second.entries], now),
      now,
      ...(unread === undefined ? {} : { unread })
    })

    // Recorded before publishing: the shop may announce what it got before the confirm is back.
    if (decision.ledger.length > 0) yield* (yield* WriteLedger).record(decision.ledger).pipe(Effect.withSpan("store.recordLedger"))
    const publish = [...triaged.publish, ...decision.publish]
    if (publish.length > 0) yield* (yield* MessageBus).publish(publish)
    // The links move only after the merge was published with the ids as they were.
    const idLinks = yield* IdLinks
    yield* Effect.forEach(triaged.repoints, (r) => idLinks.repoint(r.entity, r.merged, r.survivor), { discard: true })
    // Only after the platform has the version do we remember it, so a failed publish is retried.
    if (decision.snapshots.length > 0) yield* (yield* Snapshots).saveCrm(decision.snapshots).pipe(Effect.withSpan("store.saveCrm"))

    return messages.map(
      (_, index) =>
        failures.get(index) ??
        invalidFailure(decision.invalid.get(index)) ??
        staleFailure(decision.stale.get(index)) ??
        staleFailure(decision.awaiting.get(index))
    )
  }, Effect.mapError(toStepFailure))

/** The wanted records whose neighbours are read with them. */
const travelling = (wanted: ReadonlyArray<Wanted>, options: HandlerOptions) => (options.companyContacts ? wanted : wanted.filter((w) => w.type !== "company"))

export const syncCrmChanges = syncCrmChangesWith({ fromStore: true, companyContacts: true, skipSyncedParents: false })

const invalidFailure = (reason: string | undefined) => (reason === undefined ? undefined : new StepFailure({ retryable: false, reason }))
const staleFailure = (reason: string | undefined) => (reason === undefined ? undefined : new StepFailure({ retryable: true, reason }))
