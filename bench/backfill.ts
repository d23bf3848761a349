// Backfill benchmark (issue 10), in one run on the HubSpot simulator (190 requests / 10 s rolling,
// a daily cap) with the commerce simulator consuming, through `bun start` on RabbitMQ and the
// Mongo-wire store:
//   1. the seed's design as the baseline: one HubSpot call per record, no shared budget (429s
//      answered by waiting a second), for --baseline-seconds;
//   2. live sync with no backfill: --live HubSpot creations and --live shop creations, alternating,
//      --live-rate per second in all, end-to-end p50/p99;
//   3. with --cpu-load DUTY (0 to 1): the same live injection again, no backfill, beside one
//      process per core that only burns CPU for DUTY of every 10 ms (CPU contention alone);
//   4. backfill CRM → commerce of --companies companies with 3 contacts each, then commerce → CRM
//      of --users shop users, the same live injection running beside them (until both are done).
// Prints one table: every figure beside its target, the ratio to the ceiling and to the baseline,
// 429s, the service's peak RSS and CPU per 1 000 records, the machine load at start and end, and
// where the service's time went (span profile). The store is a private FerretDB started for the
// run (other engineers' load on the shared one stays out of the figures), or MONGO_URL with
// --store shared. A leg that has not finished after --leg-timeout seconds is reported from the
// records done so far. Needs AMQP_URL.
// Usage: bun bench/backfill.ts [--companies 1000] [--users 1000] [--share 1] [--page-size 1000]
//        [--live 200] [--live-rate 2] [--baseline-seconds 30 (at least 20)] [--leg-timeout 1800] [--store private|shared]
//        [--cpu-load 0] [--replicas 1]
// With --replicas N the service runs as N processes on one store and broker (every replica runs
// both lanes, as deployed): HubSpot's webhooks and the probes reach the first; the partitions and
// the jobs' pages are shared. CPU and RSS are then the processes' sum.
import { parseArgs } from "node:util"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as MongoBackfillJobs from "../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../src/adapters/mongo/MongoConnection.ts"
import { callsPerRecord, changeJob, jobStatus, startJob } from "../src/application/BackfillCommands.ts"
import type { JobDefinition } from "../src/application/ports/BackfillJobs.ts"
import { percentile } from "../test/support/chaos/Percentiles.ts"
import { startStack } from "../test/support/e2e/Stack.ts"
import { startPrivateFerretDb } from "../test/support/mongo/PrivateFerretDb.ts"
import { startService } from "../test/support/ServiceProcess.ts"
import { startCpuBurners } from "./backfill/CpuBurners.ts"
import { cpuPerThousand, pidOf, sampleCpu } from "./backfill/CpuUse.ts"
import { shopLegJob } from "./backfill/LegJob.ts"
import { backfillYields, liveLagRows, scrapeMetrics, serviceLoopLag } from "./backfill/LiveLag.ts"
import { describeLag, watchLoopLag } from "./backfill/LoopLag.ts"
import { callsByKind, printLaneSpans, printSpanProfile } from "./backfill/Report.ts"
import { seedUsers as seedShopUsers } from "./backfill/SeedUsers.ts"
import { retryingStoreCall } from "./backfill/StoreCall.ts"

const { values: args } = parseArgs({
  options: {
    companies: { type: "string", default: "1000" },
    users: { type: "string" },
    share: { type: "string", default: "1" },
    "page-size": { type: "string", default: "1000" },
    "leg-timeout": { type: "string", default: "1800" },
    store: { type: "string", default: "private" },
    live: { type: "string", default: "200" },
    "live-rate": { type: "string", default: "2" },
    "baseline-seconds": { type: "string", default: "30" },
    "cpu-load": { type: "string", default: "0" },
    replicas: { type: "string", default: "1" }
  }
})
const companies = Number(args.companies)
const users = Number(args.users ?? args.companies)
const share = Number(args.share)
const pageSize = Number(args["page-size"])
const liveSamples = Number(args.live)
const liveRate = Number(args["live-rate"])
const cpuLoad = Number(args["cpu-load"])
const replicas = Math.max(1, Number(args.replicas))
// At least two rolling windows: over one, the seed's design spends a whole burst in its first
// seconds and reads faster than it can keep up (35 records/s over 5 s, 19 from 10 s on).
const baselineSeconds = Math.max(20, Number(args["baseline-seconds"]))
const burst = 190
const daily = 1_000_000
const legTimeoutMs = Number(args["leg-timeout"]) * 1000
const privateStore = args.store === "private" ? await startPrivateFerretDb() : undefined
const mongoUrl = privateStore?.url ?? process.env.MONGO_URL
if (process.env.AMQP_URL === undefined || mongoUrl === undefined) {
  console.error('Set AMQP_URL (and MONGO_URL for --store shared) first: eval "$(scripts/services.sh)"')
  await privateStore?.dispose()
  process.exit(2)
}

const loadavg = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")
const loadAtStart = await loadavg()

/** Peak resident set (MB) and CPU seconds of a process, from /proc. */
const usage = async (pid: number) => {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  const stat = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]!.split(" ")
  return { peakRssMb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 }
}

const seedUsers = seedShopUsers(users)

const stack = await startStack(mongoUrl, {
  hubspotBurstLimit: burst,
  hubspotDailyLimit: daily,
  commerce: { seed: { user: seedUsers } },
  env: {
    HUBSPOT_BURST_LIMIT: String(burst),
    HUBSPOT_DAILY_LIMIT: String(daily),
    BACKFILL_SHARE: String(share),
    RECONCILE_INTERVAL: "0",
    BACKFILL_IDLE_MS: "100",
    PROFILE_SPANS_MS: "2000"
  }
})
// The other replicas: the same environment, a port of their own.
const others = await Promise.all(Array.from({ length: replicas - 1 }, () => startService({ ...stack.serviceEnv, PORT: "0" }, 45_000)))
/** The service's processes. */
const services = [stack.service, ...others]
const runtime = ManagedRuntime.make(
  MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: mongoUrl, dbName: stack.dbName, timeoutMs: 30_000 })))
)
const hubspot = stack.hubspot
const companyIds: Array<string> = []

// Seeded companies and contacts that hold their shop id, counted as HubSpot records them (a scan
// of every object each second would cost more than the sync at 400 000 objects).
const seeded = new Set<string>()
const holdingShopId = new Set<string>()
const shopIdProperty = { companies: "ecommerce_business_id", contacts: "ecommerce_user_id" } as const
hubspot.state.onChange((change) => {
  if (change.kind !== "propertyChange" || (change.objectType !== "companies" && change.objectType !== "contacts")) return
  if (change.name === shopIdProperty[change.objectType] && change.value !== "" && seeded.has(change.id)) holdingShopId.add(change.id)
})

// ---- live sync probes: a HubSpot creation until the shop has the user; a shop creation until HubSpot has the contact.
/** Resolves a probe: when it arrived (performance.now()), and when it reached the shop's consumer (epoch ms). */
const waiting = new Map<string, (at: number, atShopDoor?: number) => void>()
hubspot.state.onChange((change) => {
  if (change.kind !== "creation" && change.kind !== "propertyChange") return
  if (change.objectType !== "contacts") return
  const shopId = hubspot.state.find("contacts", change.id)?.properties["ecommerce_user_id"]
  const done = shopId === undefined ? undefined : waiting.get(`c:${shopId}`)
  if (done !== undefined) {
    waiting.delete(`c:${shopId}`)
    done(performance.now())
  }
})
let receivedSeen = 0
const watchShop = setInterval(() => {
  const received = stack.commerce.received()
  for (; receivedSeen < received.length; receivedSeen++) {
    const created = /^(?:created|updated) (\S+)/.exec(received[receivedSeen]!.outcome)?.[1]
    const crmId = created === undefined ? undefined : stack.commerce.find("user", created)?.record["crmId"]
    const done = crmId === undefined ? undefined : waiting.get(`a:${String(crmId)}`)
    if (done !== undefined) {
      waiting.delete(`a:${String(crmId)}`)
      done(performance.now(), received[receivedSeen]!.arrivedAt)
    }
  }
}, 20)

const arrival = (key: string, timeoutMs: number) =>
  new Promise<{ readonly at: number; readonly atShopDoor?: number }>((resolve) => {
    waiting.set(key, (at, atShopDoor) => resolve(atShopDoor === undefined ? { at } : { at, atShopDoor }))
    setTimeout(() => {
      if (waiting.delete(key)) resolve({ at: Number.NaN })
    }, timeoutMs)
  })

/** When HubSpot's webhook request carrying each created object's creation was posted and answered. */
const creationWebhooks = new Map<string, { postedAt: number; answeredAt: number }>()
if (hubspot.webhooks !== undefined)
  hubspot.webhooks.observer = (events, postedAt, answeredAt) => {
    for (const e of events)
      if (e.subscriptionType.endsWith(".creation") && e.objectId !== undefined) creationWebhooks.set(String(e.objectId), { postedAt, answeredAt })
  }

/**
 * `samples` HubSpot creations and `samples` shop creations, alternating, `liveRate` a second in
 * all, while `going()` holds; the end-to-end milliseconds of each (NaN: not there in 2 minutes).
 */
const liveSync = async (tag: string, samples: number, going: () => boolean = () => true) => {
  const arrivals: Array<Promise<number>> = []
  // A HubSpot creation's webhook: from the change until HubSpot posted it, and until we answered.
  const webhooks: Array<{ id: string; startedAt: number }> = []
  // Without the commerce simulator's own queueing: a shop creation counts from when the platform
  // made it (it first waits for the batch the platform is applying), a HubSpot creation until the
  // platform's consumer was handed it (before it waits to apply it).
  const doors: Array<Promise<number>> = []
  for (let i = 0; i < 2 * samples && going(); i++) {
    const started = performance.now()
    const startedAt = Date.now()
    const n = Math.floor(i / 2)
    if (i % 2 === 0) {
      const contact = hubspot.ui.create("contacts", { email: `live-${tag}-a${n}@bench.example.com`, firstname: `A${n}` })
      webhooks.push({ id: contact.id, startedAt })
      const done = arrival(`a:${contact.id}`, 120_000)
      arrivals.push(done.then(({ at }) => at - started))
      doors.push(done.then(({ atShopDoor }) => (atShopDoor ?? Number.NaN) - startedAt))
    } else {
      const id = `l${tag}-${String(n).padStart(5, "0")}`
      const done = arrival(`c:${id}`, 120_000)
      const user = await Effect.runPromise(stack.commerce.create("user", { id, email: `live-${tag}-c${n}@bench.example.com`, firstName: `C${n}` }))
      const madeAfter = Date.parse(String(user["createdAt"])) - startedAt
      arrivals.push(done.then(({ at }) => at - started))
      doors.push(done.then(({ at }) => at - started - madeAfter))
    }
    await Bun.sleep(1000 / liveRate)
  }
  const all = await Promise.all(arrivals)
  const atDoors = (await Promise.all(doors)).filter((ms) => Number.isFinite(ms))
  // Even samples went HubSpot → shop, odd ones shop → HubSpot.
  const side = (parity: number) => all.filter((ms, i) => i % 2 === parity && Number.isFinite(ms))
  const ok = all.filter((ms) => Number.isFinite(ms))
  const sent = webhooks.flatMap(({ id, startedAt }) => {
    const w = creationWebhooks.get(id)
    return w === undefined ? [] : [{ posted: w.postedAt - startedAt, answered: w.answeredAt - startedAt }]
  })
  const posted = sent.map((w) => w.posted)
  return {
    webhookPostedP50: percentile(posted, 50) ?? Number.NaN,
    webhookPostedP99: percentile(posted, 99) ?? Number.NaN,
    webhookAnsweredP99:
      percentile(
        sent.map((w) => w.answered),
        99
      ) ?? Number.NaN,
    p50: percentile(ok, 50) ?? Number.NaN,
    p99: percentile(ok, 99) ?? Number.NaN,
    toShopP99: percentile(side(0), 99) ?? Number.NaN,
    toCrmP99: percentile(side(1), 99) ?? Number.NaN,
    doorP50: percentile(atDoors, 50) ?? Number.NaN,
    doorP99: percentile(atDoors, 99) ?? Number.NaN,
    lost: all.length - ok.length,
    n: all.length
  }
}

/** The seed's importer: one GET per company (with its contacts), no budget; a 429 waits a second. */
const seedBaseline = async (seconds: number) => {
  const until = performance.now() + seconds * 1000
  let done = 0
  let throttled = 0
  while (performance.now() < until) {
    const id = companyIds[done % companyIds.length]!
    const res = await fetch(`${hubspot.url}/crm/v3/objects/companies/${id}?associations=contacts`, { headers: { authorization: "Bearer e2e-token" } })
    await res.arrayBuffer()
    if (res.status === 429) {
      throttled++
      await Bun.sleep(1000)
    } else if (res.ok) done++
    else throw new Error(`baseline: HubSpot answered ${res.status}`)
  }
  return { rate: done / seconds, throttled }
}

/** Until `done()` holds (checked each second, up to `timeoutMs`): seconds waited, undefined on timeout. */
const settled = async (done: () => boolean, timeoutMs: number) => {
  const started = performance.now()
  while (!done()) {
    if (performance.now() - started > timeoutMs) return undefined
    await Bun.sleep(1000)
  }
  return (performance.now() - started) / 1000
}
/** Seeded companies and contacts whose shop id HubSpot holds: the write-back is the leg's last step. */
const writtenBack = () => holdingShopId.size
/** Seeded shop users that know their HubSpot contact. */
const usersLinked = () => seedUsers.filter((u) => stack.commerce.find("user", u.id)?.record["crmId"] !== undefined).length

const storeCall = retryingStoreCall(runtime)

const runJob = async (definition: JobDefinition) => {
  const before = hubspot.requestLog().length
  const started = performance.now()
  const id = await runtime.runPromise(startJob(definition)) // not again: a second try could start a second job
  let records = 0
  let finished = false
  while (performance.now() - started < legTimeoutMs) {
    const view = await storeCall(jobStatus(id))
    records = view.counts["records"] ?? 0
    if (view.job.state === "done") {
      finished = true
      break
    }
    await Bun.sleep(200)
  }
  if (!finished) await storeCall(changeJob(id, "paused"))
  const seconds = (performance.now() - started) / 1000
  const calls = hubspot.requestLog().slice(before)
  // Calls by kind, so the leg's own reads and writes show apart from live sync's and the other leg's tail.
  const byKind = callsByKind(calls)
    .slice(0, 6)
    .map(([k, n]) => `${n} ${k}`)
    .join("; ")
  // Search has its own per-second cap: the burst budget, which the ceiling counts, pays for the rest.
  const searches = calls.filter((r) => r.path.endsWith("/search")).length
  return { seconds, records, finished, calls: calls.length - searches, searches, byKind, throttled: calls.filter((r) => r.status === 429).length }
}

try {
  // Quietly: no webhooks for the seeded records (only the backfill syncs them).
  hubspot.webhooks?.stop()
  for (let i = 0; i < companies; i++) {
    const company = hubspot.ui.create("companies", { name: `Bench ${i}`, domain: `bench${i}.example.com` })
    companyIds.push(company.id)
    seeded.add(company.id)
    for (let c = 0; c < 3; c++) {
      const contact = hubspot.ui.create("contacts", { email: `b${i}-${c}@bench.example.com`, firstname: `B${i}`, lastname: `C${c}` })
      seeded.add(contact.id)
      hubspot.ui.associate("contacts", contact.id, "companies", company.id)
    }
  }
  hubspot.webhooks?.resume()
  console.log(`seeded ${companies} companies, ${3 * companies} contacts, ${users} shop users; load at start ${loadAtStart}`)

  const baseline = await seedBaseline(baselineSeconds)
  await Bun.sleep(10_500) // the baseline's calls leave the rolling window before ours start
  console.log(`baseline done: ${baseline.rate.toFixed(1)} records/s`)
  const metricsIdle = await scrapeMetrics(stack.service.url)
  const idleLag = watchLoopLag()
  const idle = await liveSync("idle", liveSamples)
  const idleLoop = idleLag()
  console.log(`idle live sync done: p99 ${idle.p99.toFixed(0)} ms`)
  const stopBurners = cpuLoad > 0 ? startCpuBurners(cpuLoad) : undefined
  const loaded = stopBurners === undefined ? undefined : await liveSync("burn", liveSamples)
  await stopBurners?.()
  if (loaded !== undefined) console.log(`live sync beside the CPU burners done: p99 ${loaded.p99.toFixed(0)} ms`)

  const servicesUsage = async () => {
    const all = await Promise.all(services.map((s) => usage(s.process.pid)))
    return { peakRssMb: all.reduce((a, u) => a + u.peakRssMb, 0), cpuSeconds: all.reduce((a, u) => a + u.cpuSeconds, 0), each: all }
  }
  const cpuBefore = (await servicesUsage()).cpuSeconds
  const pids = {
    service: services.map((s) => s.process.pid),
    store: privateStore === undefined ? undefined : await pidOf(`listen-addr=127.0.0.1:${privateStore.url.split(":").at(-1)}`),
    broker: await pidOf("beam.smp")
  }
  const metricsBefore = await scrapeMetrics(stack.service.url)
  let backfilling = true
  const busyLag = watchLoopLag()
  const liveDuring = liveSync("busy", liveSamples, () => backfilling)
  const crmCpuBefore = await sampleCpu(pids)
  const crm = await runJob({ direction: "crm-to-commerce", types: ["company", "contact"], pageSize, dryRun: false, kind: "backfill" })
  const crmCpu = cpuPerThousand(crmCpuBefore, await sampleCpu(pids), crm.records)
  const crmTail = crm.finished ? await settled(() => writtenBack() >= companies * 4, 300_000) : undefined
  console.log(`crm → commerce done in ${crm.seconds.toFixed(0)} s`)
  const shopCpuBefore = await sampleCpu(pids)
  const shop = await runJob(shopLegJob(users, pageSize))
  const shopCpu = cpuPerThousand(shopCpuBefore, await sampleCpu(pids), shop.records)
  const shopTail = shop.finished ? await settled(() => usersLinked() >= users, 300_000) : undefined
  backfilling = false
  const busy = await liveDuring
  const busyLoop = busyLag()
  const { peakRssMb, cpuSeconds, each } = await servicesUsage()
  const metricsAfter = await scrapeMetrics(stack.service.url)
  const loadAtEnd = await loadavg()

  // The service caps a job's share at BACKFILL_MAX_SHARE (0.9 by default: live keeps a tenth), so
  // the lane's ceiling is counted at the share it can really have.
  const laneCallsPerSecond = (Math.min(share, 0.9) * burst) / 10
  // The records the job's pages went through (live creations listed during the run included).
  const crmRecords = crm.records
  const crmRate = crmRecords / crm.seconds
  const crmCeiling = laneCallsPerSecond / callsPerRecord("crm-to-commerce")
  const shopRecords = shop.records
  const shopRate = shopRecords / shop.seconds
  const shopCeiling = laneCallsPerSecond / callsPerRecord("commerce-to-crm")
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`
  const rows: ReadonlyArray<readonly [string, string, string]> = [
    ["machine load (1/5/15 min) at start / end", `${loadAtStart} / ${loadAtEnd}`, ""],
    ["service processes", `${replicas}${replicas > 1 ? " (--replicas: each runs both lanes; webhooks reach the first)" : ""}`, ""],
    ["store", privateStore === undefined ? "shared FerretDB (MONGO_URL)" : "private FerretDB 1.24 (SQLite), started for this run", ""],
    [
      `CRM → commerce: ${companies} companies + ${3 * companies} contacts`,
      `${crmRecords} records (pages' count) in ${crm.seconds.toFixed(1)} s${crm.finished ? "" : " (cut short: paused at the leg timeout)"}`,
      ""
    ],
    ["  records/s", crmRate.toFixed(1), ""],
    [
      "  HubSpot burst calls, calls/s, records per call; search calls (own cap)",
      `${crm.calls}, ${(crm.calls / crm.seconds).toFixed(2)}, ${(crmRecords / crm.calls).toFixed(1)}; ${crm.searches}, ${(crm.searches / crm.seconds).toFixed(2)}/s`,
      ""
    ],
    ["  calls by kind", crm.byKind, ""],
    ["  ratio to the ceiling", `${pct(crmRate, crmCeiling)} of ${crmCeiling.toFixed(0)}/s`, "≥ 90 %"],
    [
      "  … until every HubSpot record holds its shop id",
      crmTail === undefined
        ? "not within 5 min"
        : `+${crmTail.toFixed(1)} s: ${(crmRecords / (crm.seconds + crmTail)).toFixed(1)} records/s end to end, ${pct(crmRecords / (crm.seconds + crmTail), crmCeiling)}`,
      ""
    ],
    ["  CPU s per 1 000 records (the machine's processes)", crmCpu, ""],
    ["  429 answers", String(crm.throttled), "0"],
    [
      `commerce → CRM: ${users} shop users`,
      `${shopRecords} records (pages' count) in ${shop.seconds.toFixed(1)} s${shop.finished ? "" : " (cut short: paused at the leg timeout)"}`,
      ""
    ],
    ["  records/s", shopRate.toFixed(1), ""],
    [
      "  HubSpot burst calls, calls/s, records per call; search calls (own cap)",
      `${shop.calls}, ${(shop.calls / shop.seconds).toFixed(2)}, ${(shopRecords / shop.calls).toFixed(1)}; ${shop.searches}, ${(shop.searches / shop.seconds).toFixed(2)}/s`,
      ""
    ],
    ["  calls by kind", shop.byKind, ""],
    ["  ratio to the ceiling", `${pct(shopRate, shopCeiling)} of ${shopCeiling.toFixed(0)}/s`, "≥ 90 %"],
    [
      "  … until every shop user holds its HubSpot id",
      shopTail === undefined
        ? "not within 5 min"
        : `+${shopTail.toFixed(1)} s: ${(shopRecords / (shop.seconds + shopTail)).toFixed(1)} records/s end to end, ${pct(shopRecords / (shop.seconds + shopTail), shopCeiling)}`,
      ""
    ],
    ["  CPU s per 1 000 records (the machine's processes)", shopCpu, ""],
    ["  429 answers", String(shop.throttled), "0"],
    ["seed's design (1 call a record, no budget), measured", `${baseline.rate.toFixed(1)} records/s, ${baseline.throttled} × 429`, ""],
    ["  ours ÷ seed's, CRM → commerce", `${(crmRate / baseline.rate).toFixed(1)} ×`, "≥ 50 ×"],
    ["  ours ÷ seed's, commerce → CRM", `${(shopRate / baseline.rate).toFixed(1)} ×`, "≥ 50 ×"],
    [`live sync, no backfill (${idle.n} samples)`, `p50 ${idle.p50.toFixed(0)} ms, p99 ${idle.p99.toFixed(0)} ms, ${idle.lost} lost`, ""],
    [`live sync during the backfills (${busy.n} samples)`, `p50 ${busy.p50.toFixed(0)} ms, p99 ${busy.p99.toFixed(0)} ms, ${busy.lost} lost`, "p99 ≤ 1 000 ms"],
    ["  p99 during ÷ idle p99", `${(busy.p99 / idle.p99).toFixed(2)} ×`, "≤ 1.2 ×"],
    ...(loaded === undefined
      ? []
      : ([
          [
            `live sync, no backfill, each core ${Math.round(cpuLoad * 100)} % busy burning CPU (${loaded.n} samples)`,
            `p50 ${loaded.p50.toFixed(0)} ms, p99 ${loaded.p99.toFixed(0)} ms, ${loaded.lost} lost; p99 ${(loaded.p99 / idle.p99).toFixed(2)} × idle`,
            ""
          ]
        ] as const)),
    [
      "  p99 by direction, idle / during",
      `HubSpot → shop ${idle.toShopP99.toFixed(0)} / ${busy.toShopP99.toFixed(0)} ms; shop → HubSpot ${idle.toCrmP99.toFixed(0)} / ${busy.toCrmP99.toFixed(0)} ms`,
      ""
    ],
    [
      "  HubSpot's webhook of a live change: posted after p50 / p99, answered p99, idle / during",
      `${idle.webhookPostedP50.toFixed(0)} / ${idle.webhookPostedP99.toFixed(0)}, ${idle.webhookAnsweredP99.toFixed(0)} ms / ${busy.webhookPostedP50.toFixed(0)} / ${busy.webhookPostedP99.toFixed(0)}, ${busy.webhookAnsweredP99.toFixed(0)} ms`,
      ""
    ],
    [
      "  without the commerce simulator's own queueing, idle / during",
      `p50 ${idle.doorP50.toFixed(0)} / ${busy.doorP50.toFixed(0)} ms, p99 ${idle.doorP99.toFixed(0)} / ${busy.doorP99.toFixed(0)} ms (${(busy.doorP99 / idle.doorP99).toFixed(2)} ×)`,
      ""
    ],
    [
      "  the service's event-loop lag (ticks of 20 ms, buckets), idle / during",
      `${serviceLoopLag(metricsIdle, metricsBefore)} / ${serviceLoopLag(metricsBefore, metricsAfter)}`,
      ""
    ],
    ["  the bench's own event-loop lag (simulators, probes), idle / during", `${describeLag(idleLoop)} / ${describeLag(busyLoop)}`, ""],
    ["service peak RSS", `${peakRssMb.toFixed(0)} MB${replicas > 1 ? ` (${each.map((u) => u.peakRssMb.toFixed(0)).join(" + ")})` : ""}`, ""],
    ["service CPU s per 1 000 records (both legs)", ((1000 * (cpuSeconds - cpuBefore)) / (crmRecords + shopRecords)).toFixed(2), ""]
  ]
  const w0 = Math.max(...rows.map(([k]) => k.length))
  const w1 = Math.max(...rows.map(([, v]) => v.length))
  console.log(`\n${"figure".padEnd(w0)}  ${"measured".padEnd(w1)}  target`)
  for (const [k, v, t] of rows) console.log(`${k.padEnd(w0)}  ${v.padEnd(w1)}  ${t}`)

  console.log("\nlive lane during the backfills, from the service's histograms (bucket bounds):")
  for (const row of liveLagRows(metricsBefore, metricsAfter)) console.log(`  ${row}`)
  console.log(`  the backfill's waits for live work in flight (LiveFirst, both legs): ${backfillYields(metricsBefore, metricsAfter)}`)
  printSpanProfile(stack.service.logs, "service time by span (whole run)", 25)
  printLaneSpans(stack.service.logs, "live", "live lane's spans (whole run: idle and during the backfills)", 25)
  // What a live operation may find in flight when it starts: the backfill's longest operations.
  printLaneSpans(stack.service.logs, "backfill", "backfill lane's spans", 20)
} finally {
  await Promise.all(others.map((s) => s.stop()))
  clearInterval(watchShop)
  await runtime.dispose()
  await stack.stop()
  await privateStore?.dispose()
}
