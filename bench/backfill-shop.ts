// The commerce → CRM leg of the backfill alone (issue 10), through the whole service: no live
// traffic, no baseline, no CRM → commerce leg, so every HubSpot call in the figures is the leg's
// own. Same set-up as bench/backfill.ts (HubSpot simulator at 190 requests / 10 s, commerce
// simulator serving --users shop users and consuming what we send it, `bun start` on RabbitMQ and
// a private FerretDB). Prints records/s by the pages and until every shop user holds its HubSpot
// id, HubSpot calls per kind and per record, the ratio to the ceiling, CPU per 1 000 records of the
// service, FerretDB and this process (the simulators), and the service's span profile.
// bench/commerce-backfill-pages.ts measures flow C alone, without the runner, bus and service.
// Usage: bun bench/backfill-shop.ts [--users 5000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20]
//        [--cpu-prof DIR] (the service writes a CPU profile there when it stops) [--webhooks false] (no echo webhooks)
import { parseArgs } from "node:util"
import { Layer, ManagedRuntime } from "effect"
import * as MongoBackfillJobs from "../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../src/adapters/mongo/MongoConnection.ts"
import { callsPerRecord, jobStatus, startJob } from "../src/application/BackfillCommands.ts"
import { startStack } from "../test/support/e2e/Stack.ts"
import { startPrivateFerretDb } from "../test/support/mongo/PrivateFerretDb.ts"
import { callsByKind, printSpanProfile } from "./backfill/Report.ts"

import { seededUser, seedUsers } from "./backfill/SeedUsers.ts"
import { retryingStoreCall } from "./backfill/StoreCall.ts"

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "5000" },
    share: { type: "string", default: "1" },
    "page-size": { type: "string", default: "1000" },
    "tail-timeout": { type: "string", default: "600" },
    "top-spans": { type: "string", default: "20" },
    "cpu-prof": { type: "string" },
    /** false: HubSpot sends no webhooks, so the service's cost of its own writes' echoes (intake, relay, flow A) is left out. */
    webhooks: { type: "string", default: "true" },
    help: { type: "boolean", default: false }
  }
})
if (args.help) {
  console.log(
    "Usage: bun bench/backfill-shop.ts [--users 5000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20] [--cpu-prof DIR]\n" +
      "  --cpu-prof DIR  the service writes a CPU profile (.cpuprofile) into DIR when it stops"
  )
  process.exit(0)
}
const users = Number(args.users)
const seeded = seedUsers(users)
const share = Number(args.share)
const pageSize = Number(args["page-size"])
const burst = 190
if (process.env.AMQP_URL === undefined) {
  console.error('Set AMQP_URL first: eval "$(scripts/services.sh)"')
  process.exit(2)
}
const store = await startPrivateFerretDb()
const loadavg = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")
const loadAtStart = await loadavg()
/** CPU seconds a process has used, from /proc. */
const cpuOf = async (pid: number | undefined) => {
  if (pid === undefined) return 0
  const stat = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]?.split(" ") ?? []
  return (Number(stat[11]) + Number(stat[12])) / 100
}
/** The private FerretDB's pid, by the port it listens on. */
const storePid = async () => {
  const port = store.url.split(":").at(-1) ?? ""
  const found = (await Bun.$`pgrep -f ${`listen-addr=127.0.0.1:${port}`}`.nothrow().text()).trim().split("\n")[0]
  return found === undefined || found === "" ? undefined : Number(found)
}

/** The local RabbitMQ's Erlang VM, when this user may read it (the broker is shared: its figure includes other clients). */
const rabbitPid = async () => {
  const found = (await Bun.$`pgrep -u rabbitmq -x beam.smp`.nothrow().text()).trim().split("\n")[0]
  return found === undefined || found === "" ? undefined : Number(found)
}

const stack = await startStack(store.url, {
  hubspotBurstLimit: burst,
  hubspotDailyLimit: 1_000_000,
  commerce: { seed: { user: seeded } },
  env: {
    HUBSPOT_BURST_LIMIT: String(burst),
    HUBSPOT_DAILY_LIMIT: "1000000",
    BACKFILL_SHARE: String(share),
    RECONCILE_INTERVAL: "0",
    BACKFILL_IDLE_MS: "100",
    PROFILE_SPANS_MS: "2000",
    ...(args["cpu-prof"] === undefined ? {} : { BUN_OPTIONS: `--cpu-prof --cpu-prof-dir=${args["cpu-prof"]}` })
  }
})
const runtime = ManagedRuntime.make(
  MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: store.url, dbName: stack.dbName, timeoutMs: 30_000 })))
)
const hubspot = stack.hubspot

const storeCall = retryingStoreCall(runtime)
/** Seeded shop users that know their HubSpot contact: sending the id back is the leg's last step. */
const linked = () => seeded.filter((u) => stack.commerce.find("user", u.id)?.record["crmId"] !== undefined).length

try {
  const records = users
  if (args.webhooks === "false") hubspot.webhooks?.stop()
  console.log(`seeded ${users} shop users; load at start ${loadAtStart}`)
  await Bun.sleep(10_500) // an empty rolling window before the leg starts

  const before = hubspot.requestLog().length
  const ferretPid = await storePid()
  const brokerPid = await rabbitPid()
  const cpuBefore = {
    service: await cpuOf(stack.service.process.pid),
    store: await cpuOf(ferretPid),
    broker: await cpuOf(brokerPid),
    bench: process.cpuUsage()
  }
  const started = performance.now()
  const id = await runtime.runPromise(
    startJob({
      direction: "commerce-to-crm",
      types: ["user"],
      fromId: seededUser(0),
      toId: seededUser(users - 1),
      pageSize,
      dryRun: false,
      kind: "backfill"
    })
  )
  let view = await storeCall(jobStatus(id))
  while (view.job.state !== "done") {
    await Bun.sleep(200)
    view = await storeCall(jobStatus(id))
  }
  const pagesSeconds = (performance.now() - started) / 1000
  const bench = process.cpuUsage(cpuBefore.bench)
  const cpu = {
    service: (await cpuOf(stack.service.process.pid)) - cpuBefore.service,
    store: (await cpuOf(ferretPid)) - cpuBefore.store,
    broker: (await cpuOf(brokerPid)) - cpuBefore.broker,
    bench: (bench.user + bench.system) / 1e6
  }
  const afterPages = hubspot.requestLog().length
  while (linked() < records && performance.now() - started < Number(args["tail-timeout"]) * 1000) await Bun.sleep(500)
  const endSeconds = (performance.now() - started) / 1000
  const requests = hubspot.requestLog().slice(before)
  const loadAtEnd = await loadavg()

  const ceiling = (share * burst) / 10 / callsPerRecord("commerce-to-crm")
  const pct = (rate: number) => `${((100 * rate) / ceiling).toFixed(1)} %`
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["machine load (1/5/15 min) at start / end", `${loadAtStart} / ${loadAtEnd}`],
    [`records (${users} shop users), page size`, `${view.counts["records"] ?? 0}, ${pageSize}`],
    [
      "by the pages: seconds, records/s, of the ceiling",
      `${pagesSeconds.toFixed(1)} s, ${(records / pagesSeconds).toFixed(1)}, ${pct(records / pagesSeconds)} of ${ceiling.toFixed(0)}/s`
    ],
    [
      "until every shop user holds its HubSpot id",
      linked() < records
        ? `${linked()} of ${records} after ${endSeconds.toFixed(0)} s`
        : `${endSeconds.toFixed(1)} s, ${(records / endSeconds).toFixed(1)} records/s, ${pct(records / endSeconds)}`
    ],
    ["HubSpot calls: by the pages' end, in all", `${afterPages - before}, ${requests.length} (the job's own count: ${view.counts["crm calls"] ?? 0})`],
    ["calls per record (fewest: one upsert of 100, 0.01)", (requests.length / records).toFixed(4)],
    ["calls/s (the lane may use)", `${(requests.length / endSeconds).toFixed(2)} (${((share * burst) / 10).toFixed(1)})`],
    ["429 answers", String(requests.filter((r) => r.status === 429).length)],
    ["parked", String(view.counts["parked"] ?? 0)],
    [
      "CPU s per 1 000 records by the pages' end: service, FerretDB, simulators, RabbitMQ (shared: others' traffic too)",
      [cpu.service, cpu.store, cpu.bench, cpu.broker].map((s) => ((1000 * s) / records).toFixed(2)).join(", ")
    ]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
  console.log("\nHubSpot calls by kind:")
  for (const [kind, n] of callsByKind(requests)) console.log(`  ${String(n).padStart(6)}  ${kind}`)
  console.log("\npages (finished at, seconds after the job started; records):")
  const startedAt = Date.now() - performance.now() + started
  const finished = stack.service.logs.filter((l) => l["message"] === "backfill page finished")
  console.log(
    `  ${finished
      .map((l) => {
        const at = Date.parse(String(l["timestamp"])) - startedAt
        const records = (l["annotations"] as Record<string, unknown> | undefined)?.["records"]
        return `${(at / 1000).toFixed(1)}s:${String(records)}`
      })
      .join("  ")}`
  )
  printSpanProfile(stack.service.logs, "service time by span", Number(args["top-spans"]))
} finally {
  await runtime.dispose()
  await stack.stop()
  await store.dispose()
}
