// `bun run backfill …`: the operator's commands over the job collection. The service's replicas
// run the pages; this only writes job definitions and states and reads progress. On a terminal
// it draws a live bar per watched job; otherwise it prints a plain line per change; `--json` for
// scripts.
import { MultiBar, Presets } from "cli-progress"
import { Command, InvalidArgumentError, Option } from "commander"
import { Effect } from "effect"
import { changeJob, estimatedSeconds, type JobView, jobStatus, listJobs, startJob } from "../../application/BackfillCommands.ts"
import { typesFor } from "../../application/BackfillPages.ts"
import { laneShare } from "../../application/BudgetPolicy.ts"
import type { BackfillJobs, JobDefinition } from "../../application/ports/BackfillJobs.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"

export interface CliIo {
  readonly run: <A, E>(effect: Effect.Effect<A, E, BackfillJobs>) => Promise<A>
  readonly write: (line: string) => void
  readonly isTty: boolean
  /**
   * The configured budget, for estimates and the shares shown: HUBSPOT_BURST_LIMIT,
   * …_INTERVAL_MS, BACKFILL_SHARE (a job's default) and BACKFILL_MAX_SHARE (a job's ceiling).
   */
  readonly budget: { readonly burst: number; readonly intervalMs: number; readonly share: number; readonly maxShare?: number }
  readonly pollMs: number
}

const finished = (v: JobView) => v.job.state === "done" || v.job.state === "cancelled"

const epochOf = (name: string) => (value: string) => {
  const at = Date.parse(value)
  if (Number.isNaN(at)) throw new InvalidArgumentError(`${name} must be an ISO-8601 date, e.g. 2026-01-31T00:00:00Z`)
  return at
}
const shareOf = (value: string) => {
  const share = value.trim() === "" ? Number.NaN : Number(value)
  if (!(share >= 0 && share <= 1)) throw new InvalidArgumentError("--share must be a number between 0.0 and 1.0, e.g. 0.25")
  return share
}
const rangeOf = (value: string) => {
  const match = /^([^-]+)-([^-]+)$/.exec(value)
  if (match === null) throw new InvalidArgumentError("--ids must be FROM-TO, e.g. 1000-2000")
  return { fromId: match[1]!, toId: match[2]! }
}
const positiveInt = (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("--page-size must be a whole number from 1 to 1000")
  return n
}

const duration = (seconds: number) => {
  if (!Number.isFinite(seconds)) return "never (the backfill share is 0)"
  const s = Math.ceil(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  const m = Math.ceil(s / 60)
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** The share the job's pages run at: its own, capped at the ceiling, or the configured default. */
const shareIn = (v: JobView, io: CliIo) =>
  laneShare({ backfillShare: io.budget.share, ...(io.budget.maxShare === undefined ? {} : { maxBackfillShare: io.budget.maxShare }) }, v.job.definition.share)

/** Resting: a running job whose pages wait (the daily cap), with why. */
const restingNote = (v: JobView, now: number) =>
  v.job.state === "running" && v.job.waitUntil !== undefined && v.job.waitUntil > now
    ? `resting until ${new Date(v.job.waitUntil).toISOString()}${v.job.note === undefined ? "" : `: ${v.job.note}`}`
    : undefined

const json = (v: JobView, io: CliIo) => ({
  id: v.job.id,
  kind: v.job.definition.kind,
  direction: v.job.definition.direction,
  types: v.job.definition.types,
  dryRun: v.job.definition.dryRun,
  state: v.job.state,
  share: shareIn(v, io),
  shareAsked: v.job.definition.share ?? null,
  waitUntil: v.job.waitUntil === undefined ? null : new Date(v.job.waitUntil).toISOString(),
  note: v.job.note ?? null,
  pages: v.pages,
  records: v.counts["records"] ?? 0,
  total: v.total ?? null,
  counts: v.counts,
  crmCalls: v.counts["crm calls"] ?? 0,
  recordsPerSecond: Math.round(v.rate * 10) / 10,
  etaSeconds: v.etaSeconds === undefined ? null : Math.ceil(v.etaSeconds),
  createdAt: new Date(v.job.createdAt).toISOString(),
  lastPageAt: v.lastPageAt === undefined ? null : new Date(v.lastPageAt).toISOString()
})

const eta = (v: JobView) => (v.etaSeconds === undefined ? "unknown" : duration(v.etaSeconds))
const progressOf = (v: JobView) => `${v.counts["records"] ?? 0}/${v.total ?? "unknown"}`

const line = (v: JobView, io: CliIo) => {
  const d = v.job.definition
  const rest = restingNote(v, Date.now())
  return [
    `${v.job.id}  ${d.kind} ${d.direction} ${d.types.join(",")}${d.dryRun ? " dry-run" : ""}  ${v.job.state}${rest === undefined ? "" : ` (${rest})`}`,
    `records=${progressOf(v)} pages=${v.pages} parked=${v.counts["parked"] ?? 0} rate=${v.rate.toFixed(1)}/s eta=${v.job.state === "running" ? eta(v) : "-"} crm-calls=${v.counts["crm calls"] ?? 0} share=${shareIn(v, io)}`
  ].join("  ")
}

const INVALID = "invalid: "

/**
 * Counts per outcome (would create / would update / unchanged / invalid, the reasons grouped
 * under invalid) and the estimate at the configured budget: a dry run's report.
 */
const dryRunReport = (v: JobView, io: CliIo): ReadonlyArray<string> => {
  const records = v.counts["records"] ?? 0
  const budget = { ...io.budget, share: shareIn(v, io) }
  const reasons = Object.entries(v.counts)
    .filter(([k]) => k.startsWith(INVALID))
    .map(([k, n]) => [k.slice(INVALID.length), n] as const)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
  const outcomes: ReadonlyArray<readonly [string, number]> = [
    ["would create", v.counts["would create"] ?? 0],
    ["would update", v.counts["would update"] ?? 0],
    ["unchanged", v.counts["unchanged"] ?? 0],
    ["invalid", reasons.reduce((sum, [, n]) => sum + n, 0)]
  ]
  const width = Math.max(...outcomes.map(([k]) => k.length))
  return [
    `dry run ${v.job.id}: ${records} records read and validated, nothing written (${v.counts["crm calls"] ?? 0} CRM calls)`,
    ...outcomes.map(([k, n]) => `  ${k.padEnd(width)}  ${n}`),
    ...reasons.map(([reason, n]) => `    ${String(n).padStart(5)}  ${reason}`),
    `estimated duration at share ${budget.share} of ${budget.burst} calls / ${budget.intervalMs / 1000} s: ${duration(estimatedSeconds(records, v.job.definition, budget))}`
  ]
}

/** Polls the jobs until all are finished (or paused, when `untilPaused`), drawing their progress. */
const watch = async (ids: ReadonlyArray<string>, io: CliIo, asJson: boolean): Promise<ReadonlyArray<JobView>> => {
  const bars =
    io.isTty && !asJson
      ? new MultiBar(
          {
            // cli-progress fills {eta} itself (from the bar's own start): ours is the job's, in {left}.
            format: "{id} |{bar}| {done}/{of} | {rate}/s | ETA {left} | {calls} CRM calls | share {share} | {state}",
            hideCursor: true,
            clearOnComplete: false
          },
          Presets.shades_classic
        )
      : undefined
  const drawn = new Map<string, ReturnType<MultiBar["create"]>>()
  const printed = new Map<string, string>()
  for (;;) {
    const views = await io.run(Effect.forEach(ids, (id) => jobStatus(id)))
    for (const v of views) {
      const records = v.counts["records"] ?? 0
      // Without a count from the source the bar fills a page ahead of what is done, full when done.
      const total = Math.max(1, v.total ?? (finished(v) ? records : records + v.job.definition.pageSize))
      const rest = restingNote(v, Date.now())
      const payload = {
        id: v.job.id,
        done: records,
        of: v.total ?? "unknown",
        rate: v.rate.toFixed(1),
        left: v.job.state === "running" ? eta(v) : "-",
        calls: v.counts["crm calls"] ?? 0,
        share: shareIn(v, io),
        state: rest === undefined ? v.job.state : rest
      }
      if (bars !== undefined) {
        const bar = drawn.get(v.job.id) ?? bars.create(total, records, payload)
        drawn.set(v.job.id, bar)
        bar.setTotal(total)
        bar.update(records, payload)
      } else if (!asJson && printed.get(v.job.id) !== line(v, io)) {
        printed.set(v.job.id, line(v, io))
        io.write(line(v, io))
      }
    }
    if (views.every((v) => finished(v) || v.job.state === "paused")) {
      bars?.stop()
      return views
    }
    await Bun.sleep(io.pollMs)
  }
}

const definitionOf = (o: StartOptions): JobDefinition => {
  const direction = o.direction
  return {
    direction,
    types: typesFor(direction, o.type),
    ...(o.ids ?? {}),
    ...(o.modifiedSince === undefined ? {} : { modifiedSince: o.modifiedSince }),
    ...(o.modifiedUntil === undefined ? {} : { modifiedUntil: o.modifiedUntil }),
    ...(o.share === undefined ? {} : { share: o.share }),
    pageSize: o.pageSize,
    dryRun: o.dryRun === true,
    kind: "backfill"
  }
}

interface StartOptions {
  readonly direction: JobDefinition["direction"]
  readonly type: CrmObjectType | "all"
  readonly ids?: { readonly fromId: string; readonly toId: string }
  readonly modifiedSince?: number
  readonly modifiedUntil?: number
  readonly share?: number
  readonly pageSize: number
  readonly dryRun?: boolean
  readonly wait?: boolean
  readonly json?: boolean
}

const jsonOption = () => new Option("--json", "print JSON for scripts")

export const program = (io: CliIo): Command => {
  // Usage errors and --help throw a CommanderError (its exitCode says which) instead of exiting,
  // so the caller closes the store first; subcommands inherit this from their parent.
  const cli = new Command("backfill")
    .description("Backfill and reconcile jobs between HubSpot and the shop, run by the service's replicas")
    .showHelpAfterError()
    .exitOverride()

  cli
    .command("start")
    .description("start a job: the service's replicas run its pages in the backfill lane")
    .addOption(new Option("--direction <direction>", "which side is copied to the other").choices(["crm-to-commerce", "commerce-to-crm"]).makeOptionMandatory())
    .addOption(
      new Option("--type <type>", "record type (the CRM's name; the shop's entity follows)").choices(["company", "contact", "order", "all"]).default("all")
    )
    .option("--ids <FROM-TO>", "only ids in this inclusive range", rangeOf)
    .option("--modified-since <ISO>", "only records modified (CRM) or created (shop) at or after", epochOf("--modified-since"))
    .option("--modified-until <ISO>", "only records modified (CRM) or created (shop) before", epochOf("--modified-until"))
    .option(
      "--share <0.0-1.0>",
      "the job's share of each rolling window of the CRM budget (default BACKFILL_SHARE; at most BACKFILL_MAX_SHARE); jobs running at once share the lane at the largest of their shares",
      shareOf
    )
    .option("--page-size <n>", "records per page, handed to the flow as one batch (1-1000)", positiveInt, 1000)
    .option("--dry-run", "read and validate everything, write nothing on either side; prints counts per outcome and an estimate")
    .option("--wait", "follow the job until it is done (always for --dry-run)")
    .addOption(jsonOption())
    .action(async (o: StartOptions) => {
      const id = await io.run(startJob(definitionOf(o)))
      if (o.dryRun !== true && o.wait !== true) {
        io.write(
          o.json === true ? JSON.stringify(json(await io.run(jobStatus(id)), io)) : `started ${id}; follow it with: bun run backfill status ${id} --watch`
        )
        return
      }
      if (o.json !== true) io.write(`started ${id}`)
      const [view] = await watch([id], io, o.json === true)
      if (view === undefined) return
      if (o.json === true) io.write(JSON.stringify(json(view, io)))
      else for (const l of view.job.definition.dryRun ? dryRunReport(view, io) : [line(view, io)]) io.write(l)
    })

  cli
    .command("list")
    .description("every job, oldest first")
    .addOption(jsonOption())
    .action(async (o: { readonly json?: boolean }) => {
      const views = await io.run(listJobs())
      if (o.json === true) io.write(JSON.stringify(views.map((v) => json(v, io))))
      else if (views.length === 0) io.write("no jobs")
      else for (const v of views) io.write(line(v, io))
    })

  cli
    .command("status")
    .description("a job's progress and counts (every job when JOB is left out)")
    .argument("[job]", "job id")
    .option("--watch", "follow until the jobs are done or paused")
    .addOption(jsonOption())
    .action(async (job: string | undefined, o: { readonly json?: boolean; readonly watch?: boolean }) => {
      const ids = job === undefined ? (await io.run(listJobs())).filter((v) => !finished(v)).map((v) => v.job.id) : [job]
      const views = o.watch === true ? await watch(ids, io, o.json === true) : await io.run(Effect.forEach(ids, (id) => jobStatus(id)))
      if (o.json === true) io.write(JSON.stringify(job === undefined ? views.map((v) => json(v, io)) : json(views[0]!, io)))
      else if (views.length === 0) io.write("no running jobs")
      else
        for (const v of views) {
          // `--watch` off a terminal printed this line already.
          if (!(o.watch === true && !io.isTty)) io.write(line(v, io))
          for (const [k, n] of Object.entries(v.counts).sort(([a], [b]) => a.localeCompare(b))) io.write(`  ${k.padEnd(40)} ${n}`)
        }
    })

  for (const [name, to, what] of [
    ["pause", "paused", "stop starting pages of a running job (the page in flight finishes)"],
    ["resume", "running", "let a paused job go on from its last finished page"],
    ["cancel", "cancelled", "stop a job for good"]
  ] as const) {
    cli
      .command(name)
      .description(what)
      .argument("<job>", "job id")
      .addOption(jsonOption())
      .action(async (job: string, o: { readonly json?: boolean }) => {
        const view = await io.run(changeJob(job, to))
        io.write(o.json === true ? JSON.stringify(json(view, io)) : line(view, io))
      })
  }
  return cli
}
