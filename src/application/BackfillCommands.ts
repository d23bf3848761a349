// What an operator does with backfill jobs (start, list, status, pause, resume, cancel), over the
// store: the service's runners pick the changes up on their next pass, whichever replica they are.
import { Clock, Effect, Schema } from "effect"
import { searchSlotMs } from "./BudgetPolicy.ts"
import { type BackfillJob, BackfillJobs, type JobDefinition, type JobState, type PageProgress } from "./ports/BackfillJobs.ts"

export class JobNotFound extends Schema.TaggedError<JobNotFound>()("JobNotFound", { jobId: Schema.String }) {}
export class JobFinished extends Schema.TaggedError<JobFinished>()("JobFinished", { jobId: Schema.String, state: Schema.String }) {}

export interface JobView {
  readonly job: BackfillJob
  readonly pages: number
  readonly counts: Readonly<Record<string, number>>
  /** Records per second while the job ran (pauses and rests left out), up to its last page. */
  readonly rate: number
  readonly lastPageAt: number | undefined
  /** Records the job covers, as the source counted them at its start; undefined: unknown. */
  readonly total: number | undefined
  /** Seconds left at the job's rate so far; undefined while the total or the rate is unknown. */
  readonly etaSeconds: number | undefined
}

const viewOf = (job: BackfillJob, last: PageProgress | undefined): JobView => {
  const records = last?.counts["records"] ?? 0
  const elapsed = last === undefined ? 0 : (last.activeMs ?? last.finishedAt - job.createdAt) / 1000
  const rate = elapsed > 0 ? records / elapsed : 0
  const done = job.state === "done"
  // A source counted before the first page may have grown since: the total is at least what was read.
  const total = last?.total === undefined ? (done ? records : undefined) : Math.max(last.total, records)
  return {
    job,
    pages: last === undefined ? 0 : last.page + 1,
    counts: last?.counts ?? {},
    rate,
    lastPageAt: last?.finishedAt,
    total,
    etaSeconds: done ? 0 : total !== undefined && rate > 0 ? Math.max(0, total - records) / rate : undefined
  }
}

/** Every job with its progress, oldest first. */
export const listJobs = Effect.fn("listJobs")(function* () {
  const jobs = yield* BackfillJobs
  const all = yield* jobs.list
  const last = new Map((yield* jobs.progress(all.map((j) => j.id))).map((p) => [p.jobId, p] as const))
  return all.map((j) => viewOf(j, last.get(j.id)))
})

export const jobStatus = Effect.fn("jobStatus")(function* (jobId: string) {
  const found = (yield* listJobs()).find((v) => v.job.id === jobId)
  if (found === undefined) return yield* new JobNotFound({ jobId })
  return found
})

/** A new job, running at once; its id is returned. */
export const startJob = Effect.fn("startJob")(function* (definition: JobDefinition) {
  const now = yield* Clock.currentTimeMillis
  const id = `${definition.dryRun ? "dry" : "bf"}-${new Date(now).toISOString().replace(/[-:]/g, "").slice(0, 15)}-${Math.random().toString(36).slice(2, 6)}`
  yield* (yield* BackfillJobs).create([{ id, definition, state: "running", waitUntil: undefined, createdAt: now, updatedAt: now }])
  return id
})

const allowed: Record<"paused" | "running" | "cancelled", ReadonlyArray<JobState>> = {
  paused: ["running"],
  running: ["paused"],
  cancelled: ["running", "paused"]
}

/** pause (running → paused), resume (paused → running), cancel (running or paused → cancelled). */
export const changeJob = Effect.fn("changeJob")(function* (jobId: string, to: "paused" | "running" | "cancelled") {
  const view = yield* jobStatus(jobId)
  if (!allowed[to].includes(view.job.state)) return yield* new JobFinished({ jobId, state: view.job.state })
  yield* (yield* BackfillJobs).setState([jobId], to, undefined, yield* Clock.currentTimeMillis)
  return yield* jobStatus(jobId)
})

/**
 * The fewest burst calls a record needs when every read is a list call: CRM → commerce, a read at
 * 100 a call, associations at 1 000 a call per linked type and the id write-back at 100 a call;
 * commerce → CRM, an upsert at 100 a call (its ids go back to the shop by message).
 */
export const callsPerRecord = (direction: JobDefinition["direction"]): number => (direction === "crm-to-commerce" ? 1 / 100 + 1 / 1000 + 1 / 100 : 1 / 100)

/** Records a search call reads (HubSpot's most): the dry run's estimate and the HubSpot adapter's pages. */
export const SEARCH_PAGE = 200

/**
 * Records a second the lane can sync. CRM → commerce reads through search while its slots last
 * (its own cap, no burst call), the rest through the list API; its associations and write-backs
 * spend the burst. A modified-window job reads through search only.
 */
export const recordsPerSecond = (
  definition: Pick<JobDefinition, "direction" | "modifiedSince" | "modifiedUntil">,
  budget: { readonly burst: number; readonly intervalMs: number; readonly share: number; readonly searchPerSecond?: number }
): number => {
  const calls = (budget.share * budget.burst * 1000) / budget.intervalMs
  if (definition.direction === "commerce-to-crm") return calls / callsPerRecord("commerce-to-crm")
  const writes = callsPerRecord("crm-to-commerce") - 1 / 100
  const searched = (1000 / searchSlotMs(budget)) * SEARCH_PAGE
  if (definition.modifiedSince !== undefined || definition.modifiedUntil !== undefined) return Math.min(searched, calls / writes)
  return calls / writes <= searched ? calls / writes : searched + (calls - searched * writes) / callsPerRecord("crm-to-commerce")
}

/** Seconds to sync `records` at the backfill lane's share of the rolling limit. */
export const estimatedSeconds = (
  records: number,
  definition: Pick<JobDefinition, "direction" | "modifiedSince" | "modifiedUntil">,
  budget: { readonly burst: number; readonly intervalMs: number; readonly share: number; readonly searchPerSecond?: number }
) => {
  const rate = recordsPerSecond(definition, budget)
  return rate <= 0 ? Number.POSITIVE_INFINITY : records / rate
}
