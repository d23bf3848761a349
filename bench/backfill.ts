// Backfill throughput, CRM → commerce: N companies with 3 contacts each in the HubSpot simulator
// (190 requests / 10 s rolling, its default), HubSpot's webhooks off so only the backfill syncs,
// one job through `bun start` on RabbitMQ and the Mongo-wire store, the commerce simulator
// consuming. Prints records/s, HubSpot calls/s, records per call, the ratio to the ceiling (the
// lane's calls/s divided by the fewest calls a record needs), the seed's one-call-per-record
// design at the same budget as the baseline, 429s, and the service's peak RSS and CPU.
// Needs AMQP_URL and MONGO_URL. Usage: bun bench/backfill.ts [companies=1000] [share=1.0] [page size=500]
import { Layer, ManagedRuntime } from "effect"
import * as MongoBackfillJobs from "../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../src/adapters/mongo/MongoConnection.ts"
import { callsPerRecord, jobStatus, startJob } from "../src/application/BackfillCommands.ts"
import { startStack } from "../test/support/e2e/Stack.ts"

const companies = Number(process.argv[2] ?? 1000)
const share = Number(process.argv[3] ?? 1)
const pageSize = Number(process.argv[4] ?? 500)
const burst = 190
const mongoUrl = process.env.MONGO_URL
if (process.env.AMQP_URL === undefined || mongoUrl === undefined) {
  console.error('Set AMQP_URL and MONGO_URL first: eval "$(scripts/services.sh)"')
  process.exit(2)
}

/** Peak resident set (kB) and CPU seconds of a process, from /proc. */
const usage = async (pid: number) => {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  const stat = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]!.split(" ")
  const ticks = Number(stat[11]) + Number(stat[12])
  return { peakRssMb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuSeconds: ticks / 100 }
}

const stack = await startStack(mongoUrl, {
  env: { HUBSPOT_BURST_LIMIT: String(burst), BACKFILL_SHARE: String(share), RECONCILE_INTERVAL: "0", BACKFILL_IDLE_MS: "100", PROFILE_SPANS_MS: "2000" }
})
stack.hubspot.webhooks?.stop()
const runtime = ManagedRuntime.make(MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: mongoUrl, dbName: stack.dbName }))))
try {
  for (let i = 0; i < companies; i++) {
    const company = stack.hubspot.ui.create("companies", { name: `Bench ${i}`, domain: `bench${i}.example.com` })
    for (let c = 0; c < 3; c++) {
      const contact = stack.hubspot.ui.create("contacts", { email: `b${i}-${c}@bench.example.com`, firstname: `B${i}`, lastname: `C${c}` })
      stack.hubspot.ui.associate("contacts", contact.id, "companies", company.id)
    }
  }
  const records = companies * 4
  const before = stack.hubspot.requestLog().length
  const started = performance.now()
  const id = await runtime.runPromise(startJob({ direction: "crm-to-commerce", types: ["company", "contact"], pageSize, dryRun: false, kind: "backfill" }))
  for (;;) {
    const view = await runtime.runPromise(jobStatus(id))
    if (view.job.state === "done") break
    await Bun.sleep(200)
  }
  const seconds = (performance.now() - started) / 1000
  const calls = stack.hubspot.requestLog().slice(before)
  const throttled = calls.filter((r) => r.status === 429).length
  const { peakRssMb, cpuSeconds } = await usage(stack.service.process.pid)
  const rate = records / seconds
  const laneCallsPerSecond = (share * burst) / 10
  const ceiling = laneCallsPerSecond / callsPerRecord("crm-to-commerce")
  const baseline = laneCallsPerSecond / 1
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["records (companies + 3 contacts each)", String(records)],
    ["duration", `${seconds.toFixed(1)} s`],
    ["records/s", rate.toFixed(1)],
    ["HubSpot calls", String(calls.length)],
    ["HubSpot calls/s", (calls.length / seconds).toFixed(2)],
    ["records per call", (records / calls.length).toFixed(1)],
    [`ceiling (${laneCallsPerSecond} calls/s ÷ ${callsPerRecord("crm-to-commerce")} calls/record)`, `${ceiling.toFixed(0)} records/s`],
    ["ratio to the ceiling", `${((100 * rate) / ceiling).toFixed(1)} %`],
    ["seed's design (1 call a record, same budget)", `${baseline.toFixed(1)} records/s`],
    ["ours ÷ seed's", `${(rate / baseline).toFixed(1)} ×`],
    ["429 answers", String(throttled)],
    ["service peak RSS", `${peakRssMb.toFixed(0)} MB`],
    ["service CPU s per 1 000 records", ((1000 * cpuSeconds) / records).toFixed(2)]
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
  // How long each page took (between the replica's "page finished" lines).
  const finishedAt = stack.service.logs.filter((l) => l["message"] === "backfill page finished").map((l) => Date.parse(String(l["timestamp"])))
  const pageMs = finishedAt.slice(1).map((t, i) => t - finishedAt[i]!)
  console.log(`pages: ${finishedAt.length}, ms between finished pages: ${pageMs.join(" ")}`)
  const profile = stack.service.logs.filter((l) => l["message"] === "span profile").at(-1)?.["annotations"] as
    | { spans?: Record<string, { count: number; ms: number }> }
    | undefined
  const _p = profile?.spans as Record<string, { count: number; ms: number }> | undefined
  for (const [name, t] of Object.entries(_p ?? {}).sort((a, b) => b[1].ms - a[1].ms))
    console.log(`  ${String(t.ms).padStart(8)} ms ${String(t.count).padStart(6)}×  ${name}`)
  // Where the calls went, by endpoint (ids replaced).
  const byEndpoint = new Map<string, number>()
  for (const r of calls) {
    const key = `${r.method} ${r.path.replace(/\/\d+/g, "/{id}")}`
    byEndpoint.set(key, (byEndpoint.get(key) ?? 0) + 1)
  }
  for (const [k, n] of [...byEndpoint].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${k}`)
} finally {
  await runtime.dispose()
  await stack.stop()
}
