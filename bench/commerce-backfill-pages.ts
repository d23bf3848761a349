// Flow C alone on backfill pages (issue 10, commerce → CRM): the shop users a backfill job lists,
// handed to the flow's batch handler page by page as id-only events in the backfill lane, held
// under their object leases as a backfill page holds them, on the real adapters (the shop's REST
// API, HubSpot's through its budget at 190 calls / 10 s, the Mongo store ports on a private
// FerretDB) with nothing else running: no webhooks, no bus, no runner. What it isolates is the
// flow's own cost per page, beside the lane's ceiling; `bench:backfill` measures the whole service.
// Prints records/s, the ratio to the ceiling, HubSpot calls and records per call, the store's
// commands and documents written per page, and CPU seconds per 1 000 records of the flow (this
// process), of the two simulators (a child process, so the flow's figure is its own) and of
// FerretDB: on a 2-core machine the three together bound the rate.
// Usage: bun bench/commerce-backfill-pages.ts [--users 5000] [--page-size 500] [--share 1]
//   [--warmup 2] [--in-flight 1] [--parts 1] [--leases true|false] [--count-commands true|false] [--mongo-url URL (a running server, not a private FerretDB)]
// The first --warmup pages (other users) are not measured: in a run this short, compiling the
// flow's code cost a third of this process's CPU (Bun's JIT threads), which a service pays once.

import { parseArgs } from "node:util"
import { Array as Arr, Effect, Layer, Redacted, Tracer } from "effect"
import { MongoClient } from "mongodb"
import * as CommerceRestApi from "../src/adapters/commerce/CommerceRestApi.ts"
import * as HubSpotCrm from "../src/adapters/hubspot/HubSpotCrm.ts"
import { setupHubSpot } from "../src/adapters/hubspot/SetupHubSpot.ts"
import * as InMemoryMetrics from "../src/adapters/memory/InMemoryMetrics.ts"
import * as InMemoryRateBudget from "../src/adapters/memory/InMemoryRateBudget.ts"
import { type Total, totalsTracer } from "../src/adapters/metrics/SpanProfile.ts"
import * as MongoIdLinks from "../src/adapters/mongo/MongoIdLinks.ts"
import * as MongoObjectLeases from "../src/adapters/mongo/MongoObjectLeases.ts"
import * as MongoSnapshots from "../src/adapters/mongo/MongoSnapshots.ts"
import * as MongoWriteLedger from "../src/adapters/mongo/MongoWriteLedger.ts"
import { routingKeys } from "../src/application/CommerceMessages.ts"
import { Lane, LaneShare } from "../src/application/Lane.ts"
import * as LocalBudget from "../src/application/LocalBudget.ts"
import { leasedPerObject } from "../src/application/ObjectLeasing.ts"
import { IdLinks } from "../src/application/ports/IdLinks.ts"
import { MessageBus } from "../src/application/ports/MessageBus.ts"
import { ObjectLeases } from "../src/application/ports/ObjectLeases.ts"
import { Snapshots } from "../src/application/ports/Snapshots.ts"
import { WriteLedger } from "../src/application/ports/WriteLedger.ts"
import type { Envelope } from "../src/application/Step.ts"
import { commerceObjectOf, syncCommerceEvents } from "../src/application/SyncCommerceEvents.ts"
import { PlatformState } from "../test/support/commerce/PlatformState.ts"
import { startRestServer } from "../test/support/commerce/RestServer.ts"
import type { LoggedRequest } from "../test/support/hubspot/AdminRoutes.ts"
import { startHubSpotSimulator } from "../test/support/hubspot/HubSpotSimulator.ts"
import { startPrivateFerretDb } from "../test/support/mongo/PrivateFerretDb.ts"
import { publishOnlyBus } from "../test/support/PublishOnlyBus.ts"

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "5000" },
    "page-size": { type: "string", default: "500" },
    share: { type: "string", default: "1" },
    warmup: { type: "string", default: "2" },
    leases: { type: "string", default: "true" },
    "count-commands": { type: "string", default: "true" },
    /** Pages run at once (a runner with that many pages in flight), each started when one ends. */
    "in-flight": { type: "string", default: "1" },
    /** Batches a page runs as at once (RunBackfillPage's parts). */
    parts: { type: "string", default: "1" },
    "mongo-url": { type: "string" },
    /** Internal: this file run as the simulators' child process. */
    simulators: { type: "boolean", default: false }
  }
})
const users = Number(args.users)
const pageSize = Number(args["page-size"])
const share = Number(args.share)
const warmupUsers = Number(args.warmup) * pageSize
const leased = args.leases !== "false"
const countCommands = args["count-commands"] !== "false"
const inFlight = Number(args["in-flight"])
const parts = Number(args.parts)
const burst = 190
const token = "bench-token"

const seed = Array.from({ length: warmupUsers + users }, (_, i) => ({
  id: `s-${String(i).padStart(7, "0")}`,
  email: `shop${i}@bench.example.com`,
  firstName: `Shop${i}`,
  lastName: "User",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z"
}))

if (args.simulators) {
  // The child: both simulators, their urls on one line of stdout, until the parent closes stdin.
  const hubspot = await startHubSpotSimulator({ accessToken: token, burstLimit: burst })
  const shop = startRestServer(new PlatformState({ user: seed }), {})
  console.log(JSON.stringify({ hubspot: hubspot.url, shop: shop.url }))
  for await (const _ of Bun.stdin.stream());
  await shop.stop()
  await hubspot.stop()
  process.exit(0)
}

const loadavg = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")
const loadAtStart = await loadavg()

/** CPU seconds (user + system) of a process, from /proc. */
const cpuSecondsOf = async (pid: number, path = `/proc/${pid}/stat`) => {
  const stat = (await Bun.file(path).text()).split(") ")[1]?.split(" ") ?? []
  return (Number(stat[11]) + Number(stat[12])) / 100
}
/** The process listening on `url`'s port (found by its command line): the FerretDB. */
const serverPid = async (url: string) => {
  const port = new URL(url).port
  for (const pid of (await Array.fromAsync(new Bun.Glob("[0-9]*").scan({ cwd: "/proc", onlyFiles: false }))).map(Number)) {
    const cmdline = await Bun.file(`/proc/${pid}/cmdline`)
      .text()
      .catch(() => "")
    if (cmdline.includes(`--listen-addr=127.0.0.1:${port}`)) return pid
  }
  return undefined
}
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
/** This process's CPU seconds per thread name (the JS thread is "bun"; JIT, GC and allocator threads beside it). */
const threadCpuSeconds = async () => {
  const out = new Map<string, number>()
  for await (const tid of new Bun.Glob("[0-9]*").scan({ cwd: "/proc/self/task", onlyFiles: false })) {
    const name = (await Bun.file(`/proc/self/task/${tid}/comm`).text()).trim()
    out.set(name, (out.get(name) ?? 0) + (await cpuSecondsOf(Number(tid), `/proc/self/task/${tid}/stat`)))
  }
  return out
}

const ferret = args["mongo-url"] === undefined ? await startPrivateFerretDb() : undefined
const mongoUrl = args["mongo-url"] ?? (ferret?.url as string)
const storePid = await serverPid(mongoUrl)
const storeCpuSeconds = async () => (storePid === undefined ? Number.NaN : await cpuSecondsOf(storePid))
const child = Bun.spawn([process.execPath, import.meta.path, "--simulators", "--users", String(warmupUsers + users), "--warmup", "0"], {
  stdin: "pipe",
  stdout: "pipe",
  stderr: "inherit"
})
/** The child's first line: the simulators' urls. */
const firstLine = async (stream: ReadableStream<Uint8Array>) => {
  const reader = stream.getReader()
  let text = ""
  while (!text.includes("\n")) {
    const { done, value } = await reader.read()
    if (done) throw new Error("the simulators' process ended before it started them")
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return text.slice(0, text.indexOf("\n"))
}
const urls = JSON.parse(await firstLine(child.stdout)) as { readonly hubspot: string; readonly shop: string }
const requestLog = async () => (await (await fetch(`${urls.hubspot}/__sim/requests`)).json()) as ReadonlyArray<LoggedRequest>

const client = new MongoClient(mongoUrl, { monitorCommands: countCommands })
const commands = new Map<string, number>()
// The adapters' index creation at build time is not the pages'.
const perRecord = new Set(["find", "getMore", "insert", "update", "delete", "aggregate"])
let documents = 0
client.on("commandStarted", (e) => {
  if (perRecord.has(e.commandName)) commands.set(e.commandName, (commands.get(e.commandName) ?? 0) + 1)
  const docs = (e.command as { readonly documents?: ReadonlyArray<unknown> }).documents
  if (docs !== undefined) documents += docs.length
})

/** Summed wall time per span name (nested spans count in each enclosing one). */
const spans = new Map<string, Total>()
const tracer = totalsTracer(spans)

try {
  await Effect.runPromise(setupHubSpot({ accessToken: Redacted.make(token), basePath: urls.hubspot }))
  await client.connect()
  const db = client.db(`bench_flow_c_${Date.now().toString(36)}`)
  const budget = { burst, intervalMs: 10_000, daily: 1_000_000, backfillShare: share, maxBackfillShare: 1, timeZone: "UTC" }
  let published = 0
  const bus = publishOnlyBus((messages) => {
    published += messages.length
  })
  const crm = HubSpotCrm.layer({ accessToken: Redacted.make(token), basePath: urls.hubspot }).pipe(
    Layer.provide(LocalBudget.layer(budget)),
    Layer.provide(InMemoryRateBudget.layer(budget)),
    Layer.provide(InMemoryMetrics.layer())
  )
  const layer = Layer.mergeAll(
    crm,
    CommerceRestApi.layer({ baseUrl: urls.shop }),
    Layer.effect(Snapshots, MongoSnapshots.make(db)),
    Layer.effect(IdLinks, MongoIdLinks.make(db)),
    Layer.effect(WriteLedger, MongoWriteLedger.make(db)),
    Layer.succeed(MessageBus, bus)
  )
  // As a backfill page runs it (RunBackfillPage): under the leases of its shop objects.
  const handler = leasedPerObject(commerceObjectOf, syncCommerceEvents)
  const leases = leased ? Layer.succeed(ObjectLeases, MongoObjectLeases.make(db)) : Layer.empty
  const envelope = (id: string, page: number): Envelope => ({
    id: `bench:${page}:${id}`,
    type: routingKeys.commerceEvent("user", "updated"),
    payload: { id, occurredAt: 0 },
    occurredAt: 0,
    lane: "backfill",
    attempt: 1
  })
  const pages: Array<{ ms: number; failed: number }> = []
  const runPage = (at: number, to: number, page: number) =>
    Effect.gen(function* () {
      const began = performance.now()
      const envelopes = seed.slice(at, Math.min(at + pageSize, to)).map((u) => envelope(u.id, page))
      const results = yield* Effect.forEach(Arr.chunksOf(envelopes, Math.ceil(envelopes.length / parts)), handler, { concurrency: "unbounded" })
      pages.push({ ms: performance.now() - began, failed: results.flat().filter((r) => r !== undefined).length })
    })
  const runPages = (from: number, to: number) =>
    Effect.forEach(
      Array.from({ length: Math.ceil((to - from) / pageSize) }, (_, page) => page),
      (page) => runPage(from + page * pageSize, to, page),
      { concurrency: inFlight, discard: true }
    ).pipe(
      Effect.provideService(Lane, "backfill"),
      Effect.provideService(LaneShare, share),
      Effect.provide(Layer.merge(layer, leases)),
      Effect.provide(Layer.succeed(Tracer.Tracer, tracer))
    )
  await Effect.runPromise(runPages(0, warmupUsers))
  pages.length = 0
  spans.clear()
  commands.clear()
  documents = 0
  published = 0
  const callsBefore = (await requestLog()).length
  const started = performance.now()
  const threadsBefore = await threadCpuSeconds()
  const cpuBefore = { own: ownCpuSeconds(), simulators: await cpuSecondsOf(child.pid), store: await storeCpuSeconds() }
  await Effect.runPromise(runPages(warmupUsers, warmupUsers + users))
  const seconds = (performance.now() - started) / 1000
  const threads = [...(await threadCpuSeconds())].map(([name, s]) => [name, s - (threadsBefore.get(name) ?? 0)] as const).filter(([, s]) => s >= 0.01)
  const cpu = {
    own: ownCpuSeconds() - cpuBefore.own,
    simulators: (await cpuSecondsOf(child.pid)) - cpuBefore.simulators,
    store: (await storeCpuSeconds()) - cpuBefore.store
  }
  const calls = (await requestLog()).slice(callsBefore)
  const ceiling = (share * burst) / 10 / 0.01
  const perPage = (n: number) => (n / pages.length).toFixed(1)
  const sortedMs = pages.map((p) => p.ms).sort((a, b) => a - b)
  const per1000 = (s: number) => ((1000 * s) / users).toFixed(2)
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["machine load (1/5/15 min) at start / end", `${loadAtStart} / ${await loadavg()}`],
    [
      `flow C, ${users} shop users in pages of ${pageSize} (${parts} part(s), ${inFlight} in flight)${leased ? ", leased" : ", no leases"} (after ${warmupUsers} not measured)`,
      `${seconds.toFixed(1)} s, ${pages.reduce((n, p) => n + p.failed, 0)} records failed`
    ],
    ["  records/s", (users / seconds).toFixed(1)],
    ["  ratio to the lane's ceiling", `${((100 * users) / seconds / ceiling).toFixed(1)} % of ${ceiling.toFixed(0)}/s`],
    ["  page time p50 / max", `${sortedMs[Math.floor(sortedMs.length / 2)]?.toFixed(0)} / ${sortedMs.at(-1)?.toFixed(0)} ms`],
    ["  HubSpot calls, records per call, 429s", `${calls.length}, ${(users / calls.length).toFixed(1)}, ${calls.filter((r) => r.status === 429).length}`],
    ["  ids published to the shop", String(published)],
    ...(countCommands
      ? ([
          [
            "  store commands per page",
            `${perPage([...commands.values()].reduce((a, b) => a + b, 0))} (${[...commands].map(([k, v]) => `${k} ${perPage(v)}`).join(", ")})`
          ],
          ["  store documents inserted per page", perPage(documents)]
        ] as const)
      : []),
    [
      "  CPU s per 1 000 records: flow / simulators / FerretDB",
      `${per1000(cpu.own)}${countCommands ? " (with command counting)" : ""} / ${per1000(cpu.simulators)} / ${per1000(cpu.store)}`
    ],
    ["  flow's CPU s per 1 000 records by thread", threads.map(([name, s]) => `${name} ${per1000(s)}`).join(", ")]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
  console.log("\nflow C time by span (summed; nested spans count in each enclosing one):")
  for (const [name, t] of [...spans].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16))
    console.log(`  ${t.ms.toFixed(0).padStart(8)} ms ${String(t.count).padStart(6)} ×  ${name}`)
} finally {
  await client.close()
  child.stdin.end()
  await child.exited
  await ferret?.dispose()
}
