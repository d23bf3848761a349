// Runs backfill and reconcile jobs kept in the store, on every replica: each pass looks at the
// running jobs and, for each, leases its next page, runs it through the live flow in the backfill
// lane and records it finished. The page's lease keeps two replicas off the same page; the
// unique "finished" record means a page is counted once even if a lease expired mid-page. A
// process killed mid-page leaves the page unfinished: the next holder redoes that page only.
import { Cause, Clock, Duration, Effect, Exit, Fiber, Layer } from "effect"
import { type SourcePage, sourcePage } from "./BackfillPages.ts"
import type { Tally } from "./DryRunWrites.ts"
import { CallTally, Lane, LaneShare } from "./Lane.ts"
import { type BackfillJob, BackfillJobs, type PageProgress } from "./ports/BackfillJobs.ts"
import { Crm } from "./ports/Crm.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { cappedBackoff } from "./RetrySchedules.ts"
import { runBackfillPage } from "./RunBackfillPage.ts"

export interface RunnerOptions {
  /** This replica's name on its leases. */
  readonly holder: string
  /** How long a page lease lasts: longer than a page takes, short enough to take over soon. */
  readonly leaseMs: number
  /** Pause between passes when no job had a page to run. */
  readonly idleMs: number
  /**
   * Pause after a pass that ran pages, so another replica polling for work can take the next
   * page (a job's pages follow one cursor: one replica finishing page after page would otherwise
   * keep the job to itself). 0, the default, runs pages back to back.
   */
  readonly handoffMs?: number
  /**
   * No new page while the steps' main queues hold more than this many messages (0 or unset: no
   * limit). A page's writes come back as shop events, assigned ids and HubSpot echoes on the
   * queues live messages share, so pages run as fast as those are worked off, not faster: the
   * backlog a live message waits behind stays about a page's worth.
   */
  readonly maxBacklog?: number
}

export const addCounts = (a: Readonly<Tally> | undefined, b: Readonly<Tally>): Tally => {
  const sum: Tally = { ...a }
  for (const [k, v] of Object.entries(b)) sum[k] = (sum[k] ?? 0) + v
  return sum
}

/** A gap between pages longer than this (a pause, a rest, an outage) is not time spent on the job. */
const MAX_GAP_MS = 5_000

/** A wait of this length or more is a spent day (or a long outage): the job records it and rests. */
const LONG_WAIT_MS = 60_000
/**
 * The shortest rest on a spent day (DAILY_PROBE_INTERVAL's own unit). A rest "until the next
 * probe" that named no later time (a probe due but not made) ran the page again at once: a loop of
 * page leases and refused calls, with no HubSpot call in it.
 */
const MIN_QUOTA_REST_MS = 1_000

interface Failure {
  readonly message: string
  readonly isRetryable?: boolean
  readonly retryable?: boolean
  readonly reason?: unknown
  readonly retryAfterMs?: number
  readonly pause?: boolean
}

interface Rest {
  readonly until: number
  readonly note: string
}

/**
 * Until when a failed page should rest, and why. A spent daily quota (the CRM's error, or the
 * flow's pause on it) rests until the next probe of the CRM's count, which comes before the reset
 * it names: a reset earlier than our midnight (a wrong time zone, a skewed clock) is found then.
 */
const restOf = (error: Failure, now: number): Rest | undefined => {
  const reason =
    typeof error.reason === "object" && error.reason !== null ? (error.reason as { readonly resetAt?: unknown; readonly retryAfterMs?: unknown }) : {}
  if (typeof reason.resetAt === "number") {
    const until = typeof reason.retryAfterMs === "number" ? Math.min(reason.resetAt, now + Math.max(MIN_QUOTA_REST_MS, reason.retryAfterMs)) : reason.resetAt
    return { until, note: `daily API cap spent; resets by ${new Date(reason.resetAt).toISOString()}, the CRM is asked again before` }
  }
  const wait = typeof reason.retryAfterMs === "number" ? reason.retryAfterMs : error.retryAfterMs
  if (wait !== undefined && (wait >= LONG_WAIT_MS || error.pause === true)) return { until: now + wait, note: error.message }
  return undefined
}

/**
 * Each job's current page size on this replica. A page that fails and is retried is run again
 * half as large (not below MIN_PAGE): a store that scans every document per query (FerretDB
 * 1.24) answers in time ∝ documents × keys asked, so a page that grew past the driver's timeout
 * would otherwise fail again and again, redone from scratch each time. After a page that
 * finished the size grows back by a quarter, up to the job's own. Pages follow cursors, not
 * numbers of records, so sizes may differ from page to page and replica to replica.
 */
export type PageSizes = Map<string, number>
const MIN_PAGE = 25
const sizeOf = (sizes: PageSizes, job: BackfillJob) => Math.min(job.definition.pageSize, sizes.get(job.id) ?? job.definition.pageSize)
const withSize = (job: BackfillJob, pageSize: number): BackfillJob => ({ ...job, definition: { ...job.definition, pageSize } })

const onPageFailure = Effect.fnUntraced(function* (job: BackfillJob, page: number, error: Failure, sizes: PageSizes) {
  const jobs = yield* BackfillJobs
  const now = yield* Clock.currentTimeMillis
  const rest = restOf(error, now)
  if (rest !== undefined) {
    yield* Effect.logInfo(`backfill ${job.id} waits until ${new Date(rest.until).toISOString()}: ${rest.note}`)
    return yield* jobs.setState([job.id], "running", rest.until, now, rest.note)
  }
  if (error.isRetryable === true || error.retryable === true) {
    const smaller = Math.max(Math.min(MIN_PAGE, job.definition.pageSize), Math.floor(sizeOf(sizes, job) / 2))
    sizes.set(job.id, smaller)
    return yield* Effect.logWarning(`backfill ${job.id} page ${page} failed; retrying with pages of ${smaller}: ${error.message}`)
  }
  // A source that refuses to list (bad cursor, bad filter) cannot go on by itself: an operator looks.
  yield* Effect.logError(`backfill ${job.id} page ${page} failed for good; pausing the job: ${error.message}`)
  yield* jobs.setState([job.id], "paused", undefined, now, `page ${page} failed: ${error.message}`)
})

/**
 * The records a job covers, counted by the CRM before its first page (one call per type); the
 * shop's REST API has no count, so a commerce → CRM job's total stays unknown. A failed count
 * never holds the job up: the total is then unknown.
 */
const totalOf = Effect.fnUntraced(function* (job: BackfillJob, now: number) {
  const d = job.definition
  // A reconcile run is scheduled, not watched: its total would cost calls nobody reads.
  if (d.direction !== "crm-to-commerce" || d.kind !== "backfill") return undefined
  const crm = yield* Crm
  const windowed = d.modifiedSince !== undefined || d.modifiedUntil !== undefined
  const filter = {
    ...(d.fromId === undefined ? {} : { fromId: d.fromId }),
    ...(d.toId === undefined ? {} : { toId: d.toId }),
    ...(windowed ? { from: d.modifiedSince ?? 0, to: d.modifiedUntil ?? now } : {})
  }
  const counts = yield* Effect.forEach(d.types, (type) => crm.count(type as "company", filter))
  return counts.every((n) => n !== undefined) ? counts.reduce<number>((a, n) => a + (n ?? 0), 0) : undefined
})

/**
 * Each job's next page on this replica, listed from the source while the page before it ran
 * through the flow: the source's calls (HubSpot's, at the lane's budget) overlap the flow's store
 * and publish time instead of following it. Listing writes nothing, so the checkpoint rules are
 * untouched: the page is taken only when its cursor is the job's cursor (the previous page
 * finished here, nothing failed or moved it), and is otherwise dropped, costing its calls.
 */
export type PagesAhead = Map<string, Ahead>
interface Ahead {
  readonly cursor: string
  readonly page: number
  readonly listedAt: number
  readonly calls: { calls: number }
  readonly fiber: Fiber.Fiber<SourcePage, unknown>
}
/** A page listed longer ago than this is listed again: its records may be older than they need be. */
const AHEAD_MAX_AGE_MS = 30_000

/** The page listed ahead for this cursor, if there is one that listed fine; any other is dropped. */
const takeAhead = Effect.fnUntraced(function* (ahead: PagesAhead, job: BackfillJob, cursor: string | undefined, page: number, tally: { calls: number }) {
  const held = ahead.get(job.id)
  if (held === undefined) return undefined
  ahead.delete(job.id)
  const now = yield* Clock.currentTimeMillis
  if (held.cursor !== cursor || held.page !== page || now - held.listedAt > AHEAD_MAX_AGE_MS) {
    yield* Fiber.interrupt(held.fiber)
    return undefined
  }
  const exit = yield* Fiber.await(held.fiber).pipe(Effect.withSpan("backfill.awaitAhead"))
  tally.calls += held.calls.calls
  return Exit.isSuccess(exit) ? exit.value : undefined
})

/** Starts listing the page after `source` (in the job's lane, counting its own calls). */
const listAhead = Effect.fnUntraced(function* (ahead: PagesAhead, job: BackfillJob, source: SourcePage, page: number) {
  if (source.next === undefined || source.envelopes.length === 0) return
  const listedAt = yield* Clock.currentTimeMillis
  const calls = { calls: 0 }
  const fiber = yield* sourcePage(job, source.next, page + 1, listedAt).pipe(
    Effect.withSpan("backfill.listAhead"),
    Effect.provideService(CallTally, calls),
    Effect.forkChild({ startImmediately: true, uninterruptible: false })
  )
  ahead.set(job.id, { cursor: source.next, page: page + 1, listedAt, calls, fiber })
})

/** Runs the next page of `job` if this replica gets its lease; true when a page finished. */
const advance = Effect.fnUntraced(function* (job: BackfillJob, last: PageProgress | undefined, options: RunnerOptions, sizes: PageSizes, ahead: PagesAhead) {
  const jobs = yield* BackfillJobs
  const now = yield* Clock.currentTimeMillis
  if (last !== undefined && last.cursor === undefined) {
    yield* jobs.setState([job.id], "done", undefined, now)
    return false
  }
  const page = last === undefined ? 0 : last.page + 1
  if (!(yield* jobs.lease({ jobId: job.id, page, holder: options.holder, expiresAt: now + options.leaseMs }, now).pipe(Effect.withSpan("store.jobs.lease"))))
    return false
  // The page's CRM calls are counted for the job's progress; they spend the lane at the job's share.
  const tally = { calls: 0 }
  const inLane = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.provideService(Lane, "backfill"), Effect.provideService(LaneShare, job.definition.share), Effect.provideService(CallTally, tally))
  const total =
    last === undefined
      ? yield* inLane(totalOf(job, now)).pipe(
          Effect.catch((error) => Effect.as(Effect.logWarning(`backfill ${job.id}: no total (${error.message}); progress shows it as unknown`), undefined))
        )
      : last.total
  const size = sizeOf(sizes, job)
  const sized = withSize(job, size)
  const run = Effect.gen(function* () {
    const listed =
      (yield* takeAhead(ahead, job, last?.cursor, page, tally)) ??
      (yield* sourcePage(sized, last?.cursor, page, yield* Clock.currentTimeMillis).pipe(Effect.withSpan("backfill.sourcePage")))
    yield* listAhead(ahead, sized, listed, page)
    return yield* runBackfillPage(sized, last?.cursor, page, listed)
  })
  const outcome = yield* inLane(run).pipe(
    Effect.map((o) => ({ _tag: "Ran", ...o }) as const),
    Effect.catch((error: Failure) => onPageFailure(job, page, error, sizes).pipe(Effect.as({ _tag: "Failed" } as const)))
  )
  if (outcome._tag === "Failed") return false
  if (size < job.definition.pageSize) sizes.set(job.id, Math.min(job.definition.pageSize, Math.ceil(size * 1.25)))
  const finishedAt = yield* Clock.currentTimeMillis
  const counts = addCounts(last?.counts, { ...outcome.counts, "crm calls": tally.calls })
  const activeMs = (last?.activeMs ?? 0) + finishedAt - Math.max(last?.finishedAt ?? job.createdAt, now - MAX_GAP_MS)
  const first = yield* jobs
    .finish({ jobId: job.id, page, cursor: outcome.next, counts, ...(total === undefined ? {} : { total }), activeMs, finishedAt })
    .pipe(Effect.withSpan("store.jobs.finish"))
  if (first)
    yield* Effect.logInfo("backfill page finished").pipe(
      Effect.annotateLogs({ job: job.id, page, records: outcome.counts["records"] ?? 0, holder: options.holder })
    )
  if (first && outcome.next === undefined) yield* jobs.setState([job.id], "done", undefined, finishedAt)
  return first
})

/**
 * Messages waiting for the steps: their intake ("main") and partition queues, where the
 * partitioner moves them at once. A bus that cannot tell does not hold pages back.
 */
const backlog = Effect.flatMap(MessageBus, (bus) => bus.depths).pipe(
  Effect.map((depths) => depths.reduce((sum, d) => (d.step !== undefined && (d.queue === "main" || d.queue === "partitions") ? sum + d.messages : sum), 0)),
  Effect.orElseSucceed(() => 0),
  Effect.withSpan("backfill.backlog")
)

/**
 * Per replica: its last pass found the backlog above the bound. Until it falls below, a pass asks
 * the broker only, not the store for the jobs and their progress: the runner looks every
 * `idleMs` while held, which is most passes of a CRM → commerce job (a page's writes come back as
 * two messages a record), and those store reads went beside the pages' own writes.
 */
export interface BacklogHold {
  held: boolean
}

/** One pass over the running jobs, a page each; true when any page finished. */
export const runOnce = Effect.fn("BackfillRunner.runOnce")(function* (
  options: RunnerOptions,
  sizes: PageSizes = new Map(),
  ahead: PagesAhead = new Map(),
  hold: BacklogHold = { held: false }
) {
  const limited = options.maxBacklog !== undefined && options.maxBacklog > 0
  const max = options.maxBacklog ?? 0
  const recheck = limited && hold.held
  if (recheck && (yield* backlog) > max) return false
  hold.held = false
  const jobs = yield* BackfillJobs
  const now = yield* Clock.currentTimeMillis
  const runnable = (yield* jobs.list.pipe(Effect.withSpan("store.jobs.list"))).filter(
    (j) => j.state === "running" && (j.waitUntil === undefined || j.waitUntil <= now)
  )
  // A paused, cancelled or resting job's page listed ahead would be too old once it runs again.
  for (const [jobId, held] of ahead)
    if (!runnable.some((j) => j.id === jobId)) {
      ahead.delete(jobId)
      yield* Fiber.interrupt(held.fiber)
    }
  if (runnable.length === 0) return false
  // The broker's backlog and the store's progress are asked side by side: the page waits for the
  // slower, not for both. A pass that just rechecked the backlog does not ask again.
  const [waiting, progress] = yield* Effect.all(
    [limited && !recheck ? backlog : Effect.succeed(0), jobs.progress(runnable.map((j) => j.id)).pipe(Effect.withSpan("store.jobs.progress"))],
    {
      concurrency: 2
    }
  )
  if (waiting > max && limited) {
    hold.held = true
    return false
  }
  const last = new Map(progress.map((p) => [p.jobId, p] as const))
  let ran = false
  for (const job of runnable) if (yield* advance(job, last.get(job.id), options, sizes, ahead)) ran = true
  return ran
})

/** Runs passes back to back while pages finish, otherwise every `idleMs`; never ends by itself. */
export const runBackfills = (options: RunnerOptions, sizes: PageSizes = new Map(), ahead: PagesAhead = new Map(), hold: BacklogHold = { held: false }) =>
  // A page in hand is finished and recorded before a shutdown stops the runner, so the next
  // replica goes on from it instead of redoing it once the lease expires.
  Effect.uninterruptible(runOnce(options, sizes, ahead, hold)).pipe(
    Effect.flatMap((ran) => Effect.sleep(Duration.millis(ran ? (options.handoffMs ?? 0) : options.idleMs))),
    Effect.tapError((error) => Effect.logWarning("backfill runner: the store failed; retrying", { error: error.message })),
    Effect.retry(cappedBackoff(Duration.millis(200), Duration.seconds(10))),
    Effect.catchCause((cause) =>
      Effect.logError("backfill runner crashed; restarting", Cause.pretty(cause)).pipe(Effect.andThen(Effect.sleep(Duration.seconds(1))))
    ),
    Effect.forever
  )

/** The runner as a background worker for the lifetime of the layer. */
export const runnerLayer = (options: RunnerOptions) => Layer.effectDiscard(Effect.forkScoped(runBackfills(options)))
