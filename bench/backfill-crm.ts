// The CRM → commerce leg of the backfill alone (issue 10), for working on it: no live traffic, no
// baseline, no commerce → CRM leg, so every HubSpot call in the figures is the leg's own. Same
// set-up as bench/backfill.ts (HubSpot simulator at 190 requests / 10 s, commerce simulator
// consuming, `bun start` on RabbitMQ and a private FerretDB). Prints records/s by the pages and
// until every HubSpot record holds its shop id, HubSpot calls per kind and per record beside the
// fewest a record needs, the ratio to the ceiling, and the service's span profile.
// Usage: bun bench/backfill-crm.ts [--companies 1000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20]
//        [--cpu-prof DIR] (the service writes a CPU profile there when it stops)
import { parseArgs } from "node:util"
import { Layer, ManagedRuntime } from "effect"
import { MongoClient } from "mongodb"
import * as MongoBackfillJobs from "../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../src/adapters/mongo/MongoConnection.ts"
import { callsPerRecord, jobStatus, startJob } from "../src/application/BackfillCommands.ts"
import { startStack } from "../test/support/e2e/Stack.ts"
import { startPrivateFerretDb } from "../test/support/mongo/PrivateFerretDb.ts"
import { cpuOf, pidOf } from "./backfill/CpuUse.ts"
import { callsByKind, printSpanProfile } from "./backfill/Report.ts"

import { retryingStoreCall } from "./backfill/StoreCall.ts"

const { values: args } = parseArgs({
  options: {
    companies: { type: "string", default: "1000" },
    share: { type: "string", default: "1" },
    "page-size": { type: "string", default: "1000" },
    "tail-timeout": { type: "string", default: "600" },
    "top-spans": { type: "string", default: "20" },
    "cpu-prof": { type: "string" },
    help: { type: "boolean", default: false }
  }
})
if (args.help) {
  console.log(
    "Usage: bun bench/backfill-crm.ts [--companies 1000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20] [--cpu-prof DIR]\n" +
      "  --cpu-prof DIR  the service writes a CPU profile (.cpuprofile) into DIR when it stops"
  )
  process.exit(0)
}
const companies = Number(args.companies)
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
const stack = await startStack(store.url, {
  hubspotBurstLimit: burst,
  hubspotDailyLimit: 1_000_000,
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
const writtenBack = () =>
  hubspot.state.objectsOf("companies").filter((o) => o.properties["ecommerce_business_id"]).length +
  hubspot.state.objectsOf("contacts").filter((o) => o.properties["ecommerce_user_id"]).length

try {
  hubspot.webhooks?.stop()
  for (let i = 0; i < companies; i++) {
    const company = hubspot.ui.create("companies", { name: `Bench ${i}`, domain: `bench${i}.example.com` })
    for (let c = 0; c < 3; c++) {
      const contact = hubspot.ui.create("contacts", { email: `b${i}-${c}@bench.example.com`, firstname: `B${i}`, lastname: `C${c}` })
      hubspot.ui.associate("contacts", contact.id, "companies", company.id)
    }
  }
  hubspot.webhooks?.resume()
  const records = companies * 4
  console.log(`seeded ${companies} companies, ${3 * companies} contacts; load at start ${loadAtStart}`)
  await Bun.sleep(10_500) // an empty rolling window before the leg starts

  const before = hubspot.requestLog().length
  const ferretPid = await pidOf(`listen-addr=127.0.0.1:${store.url.split(":").at(-1)}`)
  const cpuBefore = { service: await cpuOf(stack.service.process.pid), store: await cpuOf(ferretPid), bench: process.cpuUsage() }
  const started = performance.now()
  const id = await runtime.runPromise(startJob({ direction: "crm-to-commerce", types: ["company", "contact"], pageSize, dryRun: false, kind: "backfill" }))
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
    bench: (bench.user + bench.system) / 1e6
  }
  const afterPages = hubspot.requestLog().length
  while (writtenBack() < records && performance.now() - started < Number(args["tail-timeout"]) * 1000) await Bun.sleep(500)
  const endSeconds = (performance.now() - started) / 1000
  const requests = hubspot.requestLog().slice(before)
  const loadAtEnd = await loadavg()

  const ceiling = (share * burst) / 10 / callsPerRecord("crm-to-commerce")
  const pct = (rate: number) => `${((100 * rate) / ceiling).toFixed(1)} %`
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["machine load (1/5/15 min) at start / end", `${loadAtStart} / ${loadAtEnd}`],
    [`records (${companies} companies + ${3 * companies} contacts), page size`, `${view.counts["records"] ?? 0}, ${pageSize}`],
    [
      "by the pages: seconds, records/s, of the ceiling",
      `${pagesSeconds.toFixed(1)} s, ${(records / pagesSeconds).toFixed(1)}, ${pct(records / pagesSeconds)} of ${ceiling.toFixed(0)}/s`
    ],
    [
      "until every record holds its shop id",
      writtenBack() < records
        ? `${writtenBack()} of ${records} after ${endSeconds.toFixed(0)} s`
        : `${endSeconds.toFixed(1)} s, ${(records / endSeconds).toFixed(1)} records/s, ${pct(records / endSeconds)}`
    ],
    ["HubSpot calls: by the pages' end, in all", `${afterPages - before}, ${requests.length} (the job's own count: ${view.counts["crm calls"] ?? 0})`],
    ["calls per record (fewest: read 0.01 + assoc 0.001 + write-back 0.01)", (requests.length / records).toFixed(4)],
    ["calls/s (the lane may use)", `${(requests.length / endSeconds).toFixed(2)} (${((share * burst) / 10).toFixed(1)})`],
    ["429 answers", String(requests.filter((r) => r.status === 429).length)],
    ["parked", String(view.counts["parked"] ?? 0)],
    [
      "CPU s per 1 000 records by the pages' end: service, FerretDB, simulators",
      [cpu.service, cpu.store, cpu.bench].map((s) => ((1000 * s) / records).toFixed(2)).join(", ")
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
  // What the leg left in the store, per record: FerretDB's cost grows with the documents it holds and returns.
  console.log("\nstore documents per record, by collection (at the end):")
  const mongo = await MongoClient.connect(store.url)
  try {
    const db = mongo.db(stack.dbName)
    const counts = await Promise.all(
      (await db.listCollections({}, { nameOnly: true }).toArray()).map(async (c) => [c.name, await db.collection(c.name).countDocuments()] as const)
    )
    for (const [name, n] of counts.toSorted((a, b) => b[1] - a[1])) console.log(`  ${(n / records).toFixed(2).padStart(6)}  ${name} (${n})`)
  } finally {
    await mongo.close()
  }
  printSpanProfile(stack.service.logs, "service time by span", Number(args["top-spans"]))
} finally {
  await runtime.dispose()
  await stack.stop()
  await store.dispose()
}
