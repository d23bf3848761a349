// Runs one page of a backfill job through the live flow's batch handler, in the backfill lane:
// the flow reads, decides and writes exactly as for live changes. A record the flow fails on is
// tried once more with the other retryable ones, then parked under the flow's step (an operator
// replays it through the live flow); the page, and the job, go on.
import { Array as Arr, Clock, Effect } from "effect"
import { type SourcePage, sourcePage } from "./BackfillPages.ts"
import { bump, type Tally, withDryRun } from "./DryRunWrites.ts"
import { Lane } from "./Lane.ts"
import { leasedPerObject, OBJECT_LEASE_MS } from "./ObjectLeasing.ts"
import type { BackfillJob } from "./ports/BackfillJobs.ts"
import type { CommerceApi } from "./ports/CommerceApi.ts"
import type { Crm } from "./ports/Crm.ts"
import type { IdLinks } from "./ports/IdLinks.ts"
import type { MessageBus } from "./ports/MessageBus.ts"
import { ParkedItems } from "./ports/ParkedItems.ts"
import type { Snapshots } from "./ports/Snapshots.ts"
import type { WriteLedger } from "./ports/WriteLedger.ts"
import { ReadAhead, type RecordsRead } from "./ReadCrmRecords.ts"
import { parkedItem } from "./RetryDecision.ts"
import type { BatchHandler, Envelope } from "./Step.ts"
import type { StepFailure } from "./StepFailure.ts"
import { commerceObjectOf, syncCommerceEvents } from "./SyncCommerceEvents.ts"
import { syncCrmChangesWith } from "./SyncCrmChanges.ts"

export interface PageOutcome {
  readonly next: string | undefined
  /** This page's counts per outcome (records, synced, parked, would create, invalid: …). */
  readonly counts: Tally
}

type FlowPorts = Snapshots | IdLinks | WriteLedger | MessageBus | Crm | CommerceApi

/**
 * A CRM page goes through flow A as this many batches at once. Flow A's writes follow one another
 * (ledger, publish and its confirms, snapshots), each a store or broker round trip, so one batch
 * leaves the store idle while the service works and the other way round; two halves overlap them,
 * and on FerretDB 1.24 two batches of 500 cost less than one of 1 000 (its queries and inserts
 * cost more than linearly in their documents). Measured with bench/backfill-crm.ts (2 000
 * companies, shared machine, load 6–10): 355–413 records/s against 249–427 for whole pages, and
 * 0.86–0.92 s of service CPU per 1 000 records against 1.08–1.16 (FerretDB 0.49–0.53 against
 * 0.57–0.68); four quarters were no better. The page stays the unit of the checkpoint.
 * Records of a page are distinct, but two halves may share a parent that no page synced yet: both
 * then send it, as two live messages about it would (the shop's upsert by CRM id is idempotent).
 */
export const CRM_FLOW_PARTS = 2

/** The live flow's handler, its step name (parked records replay through that step), and how many batches a page runs as at once. */
const flowOf = (job: BackfillJob): { readonly step: string; readonly handler: BatchHandler<FlowPorts>; readonly parts: number } =>
  job.definition.direction === "crm-to-commerce"
    ? {
        step: "sync-crm-object",
        handler: syncCrmChangesWith({ fromStore: byModifiedWindow(job), companyContacts: !job.definition.types.includes("contact"), skipSyncedParents: true }),
        parts: CRM_FLOW_PARTS
      }
    : // Leased per shop object as live flow C is, so a record live is writing waits for it and is
      // then found synced (written once), never written beside it.
      { step: "sync-commerce-entity", handler: leasedPerObject(commerceObjectOf, syncCommerceEvents), parts: 1 }

/** A window's changes carry each record's own time, so stored snapshots can skip those synced. */
const byModifiedWindow = (job: BackfillJob) => job.definition.modifiedSince !== undefined || job.definition.modifiedUntil !== undefined

/** One pass of the handler; a failure of the whole batch is returned when it is not retryable. */
const attempt = <R>(handler: BatchHandler<R>, envelopes: ReadonlyArray<Envelope>) =>
  handler(envelopes).pipe(
    Effect.catchIf(
      (f: StepFailure) => !f.retryable,
      (f) => Effect.succeed(envelopes.map(() => f))
    )
  )

/**
 * The handler's failures per envelope, after one more try of the retryable ones together. The
 * first try takes the records the page's listing read; the second reads them again, as a retried
 * live message does (it failed for something only a new read settles).
 */
const failuresOf = Effect.fnUntraced(function* <R>(handler: BatchHandler<R>, envelopes: ReadonlyArray<Envelope>, read: RecordsRead | undefined) {
  const first = yield* attempt(handler, envelopes).pipe(Effect.provideService(ReadAhead, read))
  let failures = yield* tryAgain(handler, envelopes, first, (f) => f.retryable)
  // An object another batch holds (a live one writing it) is a wait, not a failure: asked again
  // until its lease is free, never parked for it unless the lease outlives its term.
  const until = (yield* Clock.currentTimeMillis) + OBJECT_LEASE_MS
  while (failures.some((f) => f?.pause === true) && (yield* Clock.currentTimeMillis) < until) {
    yield* Effect.sleep(HELD_RETRY_MS)
    failures = yield* tryAgain(handler, envelopes, failures, (f) => f.pause === true)
  }
  return failures
})

/** How often a page asks again for objects another batch holds (a live batch holds one ~a second). */
const HELD_RETRY_MS = 250

/** The envelopes whose failure `which` picks, run again together; the others keep their result. */
const tryAgain = Effect.fnUntraced(function* <R>(
  handler: BatchHandler<R>,
  envelopes: ReadonlyArray<Envelope>,
  results: ReadonlyArray<StepFailure | undefined>,
  which: (f: StepFailure) => boolean
) {
  const again = envelopes.filter((_, i) => {
    const f = results[i]
    return f !== undefined && which(f)
  })
  if (again.length === 0) return results
  const second = yield* attempt(handler, again)
  const retried = new Map(again.map((e, i) => [e.id, second[i]] as const))
  return envelopes.map((e, i) => (retried.has(e.id) ? retried.get(e.id) : results[i]))
})

/** Reasons name rules and fields, not records, so equal ones group; long ones are cut. */
const reasonOf = (f: StepFailure) => (f.reason.length > 100 ? `${f.reason.slice(0, 99)}…` : f.reason)

export const runBackfillPage = Effect.fn("runBackfillPage")(
  /** `listed`: the page's source when the caller listed it (the runner lists a page ahead). */
  function* (job: BackfillJob, cursor: string | undefined, page: number, listed?: SourcePage) {
    const source = listed ?? (yield* sourcePage(job, cursor, page, yield* Clock.currentTimeMillis).pipe(Effect.withSpan("backfill.sourcePage")))
    const counts: Tally = { records: source.envelopes.length }
    if (source.envelopes.length === 0) return { next: source.next, counts } satisfies PageOutcome
    const { step, handler, parts } = flowOf(job)
    const run = Effect.map(
      Effect.forEach(Arr.chunksOf(source.envelopes, Math.ceil(source.envelopes.length / parts)), (batch) => failuresOf(handler, batch, source.read), {
        concurrency: "unbounded"
      }),
      (all) => all.flat()
    )
    const failures = job.definition.dryRun ? yield* withDryRun(run, counts) : yield* run
    const failed = source.envelopes.flatMap((e, i) => {
      const f = failures[i]
      return f === undefined ? [] : [{ envelope: e, failure: f }]
    })
    if (job.definition.dryRun) {
      for (const { failure } of failed) bump(counts, `invalid: ${reasonOf(failure)}`)
      const written = (counts["would create"] ?? 0) + (counts["would update"] ?? 0)
      bump(counts, "unchanged", Math.max(0, source.envelopes.length - failed.length - written))
    } else {
      if (failed.length > 0) {
        const at = yield* Clock.currentTimeMillis
        yield* (yield* ParkedItems).park(failed.map(({ envelope, failure }) => parkedItem(step, envelope, failure.reason, at, at)))
      }
      bump(counts, "synced", source.envelopes.length - failed.length)
      bump(counts, "parked", failed.length)
    }
    return { next: source.next, counts } satisfies PageOutcome
  },
  Effect.provideService(Lane, "backfill"),
  Effect.annotateSpans("lane", "backfill")
)
