// Reconcile: every interval, a modified-since job over the CRM from the last watermark, run by
// the backfill runner like any job. HubSpot gives up on a webhook after about a day of retries,
// and an outage of ours can be longer, so the window starts where the previous run ended, not at
// "one interval ago". The job's id is the interval's end: replicas creating it at once insert one.
import { Cause, Clock, Duration, Effect, Layer } from "effect"
import { crmTypes } from "./BackfillPages.ts"
import { type BackfillJob, BackfillJobs } from "./ports/BackfillJobs.ts"

/** HubSpot's search index trails its writes by seconds: windows overlap by this much. */
export const OVERLAP_MS = 60_000
/** Finished reconcile runs kept for `list` and `status`. */
export const KEPT_RUNS = 10

const untilOf = (job: BackfillJob) => job.definition.modifiedUntil ?? 0

/** Creates the reconcile job of the interval ending at or before `now`, unless it exists; forgets old runs. */
export const scheduleReconcile = Effect.fn("scheduleReconcile")(function* (intervalMs: number) {
  const jobs = yield* BackfillJobs
  const now = yield* Clock.currentTimeMillis
  const end = Math.floor(now / intervalMs) * intervalMs
  const runs = (yield* jobs.list).filter((j) => j.definition.kind === "reconcile").sort((a, b) => untilOf(a) - untilOf(b))
  const watermark = runs.at(-1)?.definition.modifiedUntil
  if (watermark !== undefined && watermark >= end) return false
  const from = (watermark ?? end - intervalMs) - OVERLAP_MS
  yield* jobs.create([
    {
      id: `reconcile-${new Date(end).toISOString()}`,
      definition: { direction: "crm-to-commerce", types: crmTypes, modifiedSince: from, modifiedUntil: end, pageSize: 100, dryRun: false, kind: "reconcile" },
      state: "running",
      waitUntil: undefined,
      createdAt: now,
      updatedAt: now
    }
  ])
  const finished = runs.filter((j) => j.state === "done" || j.state === "cancelled")
  if (finished.length > KEPT_RUNS) yield* jobs.remove(finished.slice(0, finished.length - KEPT_RUNS).map((j) => j.id))
  return true
})

/** Checks for a due reconcile run a few times per interval; 0 turns reconcile off. */
export const reconcileLayer = (intervalMs: number) =>
  intervalMs <= 0
    ? Layer.empty
    : Layer.effectDiscard(
        Effect.forkScoped(
          scheduleReconcile(intervalMs).pipe(
            Effect.tapError((error) => Effect.logWarning("scheduling reconcile failed; trying again", { error: error.message })),
            Effect.ignore,
            Effect.andThen(Effect.sleep(Duration.millis(Math.min(60_000, Math.max(1_000, intervalMs / 10))))),
            Effect.catchCause((cause) => Effect.logError("reconcile scheduler crashed; restarting", Cause.pretty(cause))),
            Effect.forever
          )
        )
      )
