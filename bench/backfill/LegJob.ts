// What the two leg benches (bench/backfill-crm.ts, bench/backfill-shop.ts) do alike: start the
// leg's job, wait for it to be done, and count the CPU the machine's processes spent on its pages.
import { Layer, ManagedRuntime } from "effect"
import * as MongoBackfillJobs from "../../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../../src/adapters/mongo/MongoConnection.ts"
import { jobStatus, startJob } from "../../src/application/BackfillCommands.ts"
import type { BackfillJobs, JobDefinition } from "../../src/application/ports/BackfillJobs.ts"
import { type StackOptions, startStack } from "../../test/support/e2e/Stack.ts"
import type { LoggedRequest } from "../../test/support/hubspot/AdminRoutes.ts"
import { startPrivateFerretDb } from "../../test/support/mongo/PrivateFerretDb.ts"
import { type CpuPids, type CpuSample, cpuPerThousand, pidOf, sampleCpu } from "./CpuUse.ts"
import { callsByKind } from "./Report.ts"
import { seededUser } from "./SeedUsers.ts"
import { retryingStoreCall } from "./StoreCall.ts"

/** The commerce → CRM job over the first `users` seeded shop users. */
export const shopLegJob = (users: number, pageSize: number): JobDefinition => ({
  direction: "commerce-to-crm",
  types: ["user"],
  fromId: seededUser(0),
  toId: seededUser(users - 1),
  pageSize,
  dryRun: false,
  kind: "backfill"
})

/** The service's, the private store's (by its port) and the local broker's pids. */
export const legPids = async (servicePid: number, storeUrl: string): Promise<CpuPids> => ({
  service: [servicePid],
  store: await pidOf(`listen-addr=127.0.0.1:${storeUrl.split(":").at(-1)}`),
  broker: await pidOf("beam.smp")
})

/** Starts the job and polls it until done: its last status, the pages' seconds, CPU before and after. */
export const runLegJob = async (runtime: ManagedRuntime.ManagedRuntime<BackfillJobs, unknown>, definition: JobDefinition, pids: CpuPids) => {
  const storeCall = retryingStoreCall(runtime)
  const cpuBefore: CpuSample = await sampleCpu(pids)
  const started = performance.now()
  const id = await runtime.runPromise(startJob(definition)) // not again: a second try could start a second job
  let view = await storeCall(jobStatus(id))
  while (view.job.state !== "done") {
    await Bun.sleep(200)
    view = await storeCall(jobStatus(id))
  }
  return { view, started, pagesSeconds: (performance.now() - started) / 1000, cpuBefore, cpuAfter: await sampleCpu(pids) }
}

export interface LegReport {
  readonly loads: string
  /** e.g. "records (2000 shop users)". */
  readonly recordsLabel: string
  readonly records: number
  readonly pageSize: number
  readonly leg: Awaited<ReturnType<typeof runLegJob>>
  /** e.g. "until every shop user holds its HubSpot id", and how many do at the end. */
  readonly untilLabel: string
  readonly done: number
  readonly endSeconds: number
  readonly ceiling: number
  /** e.g. "fewest: one upsert of 100, 0.01". */
  readonly fewest: string
  readonly laneCallsPerSecond: number
  readonly callsByPagesEnd: number
  readonly requests: ReadonlyArray<LoggedRequest>
  readonly cpuNote?: string
  readonly logs: ReadonlyArray<Record<string, unknown>>
}

/** The leg's table, its HubSpot calls by kind and when each page finished. */
export const printLegReport = (r: LegReport) => {
  const { view, pagesSeconds, started } = r.leg
  const pct = (rate: number) => `${((100 * rate) / r.ceiling).toFixed(1)} %`
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["machine load (1/5/15 min) at start / end", r.loads],
    [`${r.recordsLabel}, page size`, `${view.counts["records"] ?? 0}, ${r.pageSize}`],
    [
      "by the pages: seconds, records/s, of the ceiling",
      `${pagesSeconds.toFixed(1)} s, ${(r.records / pagesSeconds).toFixed(1)}, ${pct(r.records / pagesSeconds)} of ${r.ceiling.toFixed(0)}/s`
    ],
    [
      r.untilLabel,
      r.done < r.records
        ? `${r.done} of ${r.records} after ${r.endSeconds.toFixed(0)} s`
        : `${r.endSeconds.toFixed(1)} s, ${(r.records / r.endSeconds).toFixed(1)} records/s, ${pct(r.records / r.endSeconds)}`
    ],
    ["HubSpot calls: by the pages' end, in all", `${r.callsByPagesEnd}, ${r.requests.length} (the job's own count: ${view.counts["crm calls"] ?? 0})`],
    [`calls per record (${r.fewest})`, (r.requests.length / r.records).toFixed(4)],
    ["calls/s (the lane may use)", `${(r.requests.length / r.endSeconds).toFixed(2)} (${r.laneCallsPerSecond.toFixed(1)})`],
    ["429 answers", String(r.requests.filter((q) => q.status === 429).length)],
    ["parked", String(view.counts["parked"] ?? 0)],
    [`CPU s per 1 000 records by the pages' end${r.cpuNote ?? ""}`, cpuPerThousand(r.leg.cpuBefore, r.leg.cpuAfter, r.records)]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
  console.log("\nHubSpot calls by kind:")
  for (const [kind, n] of callsByKind(r.requests)) console.log(`  ${String(n).padStart(6)}  ${kind}`)
  console.log("\npages (finished at, seconds after the job started; records):")
  const startedAt = Date.now() - performance.now() + started
  const finished = r.logs.filter((l) => l["message"] === "backfill page finished")
  const at = (l: Record<string, unknown>) => `${((Date.parse(String(l["timestamp"])) - startedAt) / 1000).toFixed(1)}s`
  console.log(`  ${finished.map((l) => `${at(l)}:${String((l["annotations"] as Record<string, unknown> | undefined)?.["records"])}`).join("  ")}`)
}

/** HubSpot's rolling limit the leg benches run at: 190 requests / 10 s. */
export const LEG_BURST = 190

/**
 * A private FerretDB and the stack on it (simulators, `bun start`) as a leg bench runs them, with
 * the job store's runtime; `cpuProf`: the service writes a CPU profile into that folder when it stops.
 */
export const startLegStack = async (options: {
  readonly share: number
  readonly cpuProf: string | undefined
  readonly commerce?: StackOptions["commerce"]
}) => {
  const store = await startPrivateFerretDb()
  const stack = await startStack(store.url, {
    hubspotBurstLimit: LEG_BURST,
    hubspotDailyLimit: 1_000_000,
    ...(options.commerce === undefined ? {} : { commerce: options.commerce }),
    env: {
      HUBSPOT_BURST_LIMIT: String(LEG_BURST),
      HUBSPOT_DAILY_LIMIT: "1000000",
      BACKFILL_SHARE: String(options.share),
      RECONCILE_INTERVAL: "0",
      BACKFILL_IDLE_MS: "100",
      PROFILE_SPANS_MS: "2000",
      ...(options.cpuProf === undefined ? {} : { BUN_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.cpuProf}` })
    }
  })
  const runtime = ManagedRuntime.make(
    MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: store.url, dbName: stack.dbName, timeoutMs: 30_000 })))
  )
  return { store, stack, runtime }
}

/** The options both leg benches take beside their own size. */
export const legOptions = {
  share: { type: "string", default: "1" },
  "page-size": { type: "string", default: "1000" },
  "tail-timeout": { type: "string", default: "600" },
  "top-spans": { type: "string", default: "20" },
  "cpu-prof": { type: "string" },
  help: { type: "boolean", default: false }
} as const

/** Prints the usage and exits on --help; exits 2 without a broker to run on. */
export const legPreamble = (help: boolean | undefined, usage: string) => {
  if (help === true) {
    console.log(`${usage}\n  --cpu-prof DIR  the service writes a CPU profile (.cpuprofile) into DIR when it stops`)
    process.exit(0)
  }
  if (process.env.AMQP_URL === undefined) {
    console.error('Set AMQP_URL first: eval "$(scripts/services.sh)"')
    process.exit(2)
  }
}

/** The machine's load averages (1, 5, 15 min). */
export const loadavg = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")
