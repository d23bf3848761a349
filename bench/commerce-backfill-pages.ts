// Flow C alone on backfill pages (issue 10, commerce → CRM): the shop users a backfill job lists,
// handed to the flow's batch handler page by page as id-only events in the backfill lane, on the
// real adapters (the shop's REST API, HubSpot's through its budget at 190 calls / 10 s, the Mongo
// store ports on a private FerretDB) with nothing else running: no webhooks, no bus, no runner.
// What it isolates is the flow's own cost per page, beside the lane's ceiling; `bench:backfill`
// measures the whole service. Prints records/s, the ratio to the ceiling, HubSpot calls and
// records per call, the store's commands and documents written per page, and CPU seconds per
// 1 000 records in this process and in FerretDB (on a 2-core machine the two together bound the rate;
// this process's figure includes both simulators and the command monitoring that counts the store's
// commands, which decodes every reply in full).
// Usage: bun bench/commerce-backfill-pages.ts [--users 5000] [--page-size 500] [--share 1]
import { parseArgs } from "node:util"
import { Effect, Layer, Redacted, Tracer } from "effect"
import { MongoClient } from "mongodb"
import * as CommerceRestApi from "../src/adapters/commerce/CommerceRestApi.ts"
import * as HubSpotCrm from "../src/adapters/hubspot/HubSpotCrm.ts"
import { setupHubSpot } from "../src/adapters/hubspot/SetupHubSpot.ts"
import * as InMemoryMetrics from "../src/adapters/memory/InMemoryMetrics.ts"
import * as InMemoryRateBudget from "../src/adapters/memory/InMemoryRateBudget.ts"
import { type Total, totalsTracer } from "../src/adapters/metrics/SpanProfile.ts"
import * as MongoIdLinks from "../src/adapters/mongo/MongoIdLinks.ts"
import * as MongoSnapshots from "../src/adapters/mongo/MongoSnapshots.ts"
import * as MongoWriteLedger from "../src/adapters/mongo/MongoWriteLedger.ts"
import { routingKeys } from "../src/application/CommerceMessages.ts"
import { Lane, LaneShare } from "../src/application/Lane.ts"
import * as LocalBudget from "../src/application/LocalBudget.ts"
import { IdLinks } from "../src/application/ports/IdLinks.ts"
import { MessageBus } from "../src/application/ports/MessageBus.ts"
import { Snapshots } from "../src/application/ports/Snapshots.ts"
import { WriteLedger } from "../src/application/ports/WriteLedger.ts"
import type { Envelope } from "../src/application/Step.ts"
import { syncCommerceEvents } from "../src/application/SyncCommerceEvents.ts"
import { PlatformState } from "../test/support/commerce/PlatformState.ts"
import { startRestServer } from "../test/support/commerce/RestServer.ts"
import { startHubSpotSimulator } from "../test/support/hubspot/HubSpotSimulator.ts"
import { startPrivateFerretDb } from "../test/support/mongo/PrivateFerretDb.ts"

const { values: args } = parseArgs({
  options: { users: { type: "string", default: "5000" }, "page-size": { type: "string", default: "500" }, share: { type: "string", default: "1" } }
})
const users = Number(args.users)
const pageSize = Number(args["page-size"])
const share = Number(args.share)
const burst = 190
const token = "bench-token"

const seed = Array.from({ length: users }, (_, i) => ({
  id: `s-${String(i).padStart(7, "0")}`,
  email: `shop${i}@bench.example.com`,
  firstName: `Shop${i}`,
  lastName: "User",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z"
}))

const loadavg = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")
const loadAtStart = await loadavg()

/** CPU seconds (user + system) of the process listening on `url`'s port, from /proc: the private FerretDB. */
const serverCpuSeconds = async (url: string) => {
  const port = new URL(url).port
  for (const pid of (await Array.fromAsync(new Bun.Glob("[0-9]*").scan({ cwd: "/proc", onlyFiles: false }))).map(Number)) {
    const cmdline = await Bun.file(`/proc/${pid}/cmdline`)
      .text()
      .catch(() => "")
    if (!cmdline.includes(`--listen-addr=127.0.0.1:${port}`)) continue
    const stat = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]?.split(" ") ?? []
    return (Number(stat[11]) + Number(stat[12])) / 100
  }
  return Number.NaN
}
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
const ferret = await startPrivateFerretDb()
const hubspot = await startHubSpotSimulator({ accessToken: token, burstLimit: burst })
const shop = startRestServer(new PlatformState({ user: seed }), {})
const client = new MongoClient(ferret.url, { monitorCommands: true })
const commands = new Map<string, number>()
// The adapters' index creation at build time is not the pages'.
const perRecord = new Set(["find", "getMore", "insert", "update", "delete", "aggregate"])
client.on("commandStarted", (e) => {
  if (perRecord.has(e.commandName)) commands.set(e.commandName, (commands.get(e.commandName) ?? 0) + 1)
})
let documents = 0
client.on("commandStarted", (e) => {
  const docs = (e.command as { readonly documents?: ReadonlyArray<unknown> }).documents
  if (docs !== undefined) documents += docs.length
})

/** Summed wall time per span name (nested spans count in each enclosing one). */
const spans = new Map<string, Total>()
const tracer = totalsTracer(spans)

try {
  await Effect.runPromise(setupHubSpot({ accessToken: Redacted.make(token), basePath: hubspot.url }))
  await client.connect()
  const db = client.db(`bench_flow_c_${Date.now().toString(36)}`)
  const budget = { burst, intervalMs: 10_000, daily: 1_000_000, backfillShare: share, maxBackfillShare: 1, timeZone: "UTC" }
  let published = 0
  const bus = MessageBus.of({
    publish: (messages) => Effect.sync(() => void (published += messages.length)),
    consume: () => Effect.die("not consumed here"),
    deadLetters: () => Effect.die("not consumed here"),
    depths: Effect.succeed([]),
    replay: () => Effect.die("not replayed here"),
    ready: Effect.succeed(true),
    partitions: 1,
    assign: () => Effect.void,
    held: Effect.succeed([0])
  })
  const crm = HubSpotCrm.layer({ accessToken: Redacted.make(token), basePath: hubspot.url }).pipe(
    Layer.provide(LocalBudget.layer(budget)),
    Layer.provide(InMemoryRateBudget.layer(budget)),
    Layer.provide(InMemoryMetrics.layer())
  )
  const layer = Layer.mergeAll(
    crm,
    CommerceRestApi.layer({ baseUrl: shop.url }),
    Layer.effect(Snapshots, MongoSnapshots.make(db)),
    Layer.effect(IdLinks, MongoIdLinks.make(db)),
    Layer.effect(WriteLedger, MongoWriteLedger.make(db)),
    Layer.succeed(MessageBus, bus)
  )
  const envelope = (id: string, page: number): Envelope => ({
    id: `bench:${page}:${id}`,
    type: routingKeys.commerceEvent("user", "updated"),
    payload: { id, occurredAt: 0 },
    occurredAt: 0,
    lane: "backfill",
    attempt: 1
  })
  const pages: Array<{ ms: number; failed: number }> = []
  commands.clear()
  documents = 0
  const callsBefore = hubspot.requestLog().length
  const started = performance.now()
  const cpuBefore = { own: ownCpuSeconds(), store: await serverCpuSeconds(ferret.url) }
  await Effect.runPromise(
    Effect.gen(function* () {
      for (let from = 0, page = 0; from < users; from += pageSize, page++) {
        const at = performance.now()
        const results = yield* syncCommerceEvents(seed.slice(from, from + pageSize).map((u) => envelope(u.id, page)))
        pages.push({ ms: performance.now() - at, failed: results.filter((r) => r !== undefined).length })
      }
    }).pipe(
      Effect.provideService(Lane, "backfill"),
      Effect.provideService(LaneShare, share),
      Effect.provide(layer),
      Effect.provide(Layer.succeed(Tracer.Tracer, tracer))
    )
  )
  const seconds = (performance.now() - started) / 1000
  const cpu = { own: ownCpuSeconds() - cpuBefore.own, store: (await serverCpuSeconds(ferret.url)) - cpuBefore.store }
  const calls = hubspot.requestLog().slice(callsBefore)
  const ceiling = (share * burst) / 10 / 0.01
  const perPage = (n: number) => (n / pages.length).toFixed(1)
  const sortedMs = pages.map((p) => p.ms).sort((a, b) => a - b)
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["machine load (1/5/15 min) at start / end", `${loadAtStart} / ${await loadavg()}`],
    [`flow C, ${users} shop users in pages of ${pageSize}`, `${seconds.toFixed(1)} s, ${pages.reduce((n, p) => n + p.failed, 0)} records failed`],
    ["  records/s", (users / seconds).toFixed(1)],
    ["  ratio to the lane's ceiling", `${((100 * users) / seconds / ceiling).toFixed(1)} % of ${ceiling.toFixed(0)}/s`],
    ["  page time p50 / max", `${sortedMs[Math.floor(sortedMs.length / 2)]?.toFixed(0)} / ${sortedMs.at(-1)?.toFixed(0)} ms`],
    ["  HubSpot calls, records per call, 429s", `${calls.length}, ${(users / calls.length).toFixed(1)}, ${calls.filter((r) => r.status === 429).length}`],
    ["  ids published to the shop", String(published)],
    [
      "  store commands per page",
      `${perPage([...commands.values()].reduce((a, b) => a + b, 0))} (${[...commands].map(([k, v]) => `${k} ${perPage(v)}`).join(", ")})`
    ],
    ["  store documents inserted per page", perPage(documents)],
    [
      "  CPU s per 1 000 records: this process / FerretDB",
      `${((1000 * cpu.own) / users).toFixed(2)} (flow, shop and HubSpot simulators) / ${((1000 * cpu.store) / users).toFixed(2)}`
    ]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
  console.log("\nflow C time by span (summed; nested spans count in each enclosing one):")
  for (const [name, t] of [...spans].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16))
    console.log(`  ${t.ms.toFixed(0).padStart(8)} ms ${String(t.count).padStart(6)} ×  ${name}`)
} finally {
  await client.close()
  await shop.stop()
  await hubspot.stop()
  await ferret.dispose()
}
