// The chaos suite (issue 9): a private RabbitMQ node and FerretDB, both simulators and the service
// behind fault proxies; a seeded two-way workload; faults injected, held and healed one after the
// other; then quiescence and an oracle over both sides' final states. Prints one JSON line; exit
// code 0 = pass. Usage: bun run chaos [--seed N] [--minutes M] [--faults a,b,...]
import { parseArgs } from "node:util"
import { allFaults, type ChaosFault } from "../test/support/chaos/ChaosFaults.ts"
import { type ChaosStack, startChaosStack } from "../test/support/chaos/ChaosStack.ts"
import { check, passes, synced, type Verdict } from "../test/support/chaos/Oracle.ts"
import { percentile, shuffled } from "../test/support/chaos/Percentiles.ts"
import { Workload } from "../test/support/chaos/Workload.ts"
import { seededRandom } from "../test/support/hubspot/Faults.ts"

// Stdout carries the one JSON line: whatever else logs in this process (the simulators' bus
// adapters) goes to stderr.
const writeSummary = (summary: unknown) => process.stdout.write(`${JSON.stringify(summary)}\n`)
console.log = console.error
console.info = console.error
console.warn = console.error
console.debug = console.error

const { values } = parseArgs({
  options: { seed: { type: "string" }, minutes: { type: "string" }, faults: { type: "string" }, verbose: { type: "boolean" } }
})
const seed = Number(values.seed ?? 1)
const minutes = Number(values.minutes ?? 3)
if (!Number.isInteger(seed) || !(minutes > 0)) {
  console.error("usage: bun run chaos [--seed N] [--minutes M] [--faults name,...]")
  process.exit(2)
}
const known = allFaults
const chosen: ReadonlyArray<ChaosFault> =
  values.faults === undefined
    ? allFaults
    : values.faults.split(",").map((name) => {
        const fault = known.find((f) => f.name === name.trim())
        if (fault === undefined) throw new Error(`unknown fault ${name}; known: ${known.map((f) => f.name).join(", ")}`)
        return fault
      })

const startedAt = Date.now()
const runMs = minutes * 60_000
// Every wait is bounded by this, whatever the service does.
const hardDeadline = startedAt + runMs + 6 * 60_000
const log = (message: string) => {
  if (values.verbose) console.error(`[chaos ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}`)
}
const remaining = () => hardDeadline - Date.now()
const HOLD_MS = 4_000
const DRAIN_TIMEOUT_MS = 60_000
const QUIET_MS = 5_000

const hubspotWrites = (stack: ChaosStack): ReadonlyArray<unknown> =>
  stack.hubspot.requestLog().filter((r) => r.method !== "GET" && !/\/search|\/batch\/read|\/properties/.test(r.path))

/** The service's last warnings and errors, for a fault that did not drain. */
const serviceTrouble = (logs: ReadonlyArray<Record<string, unknown>>) =>
  logs.filter((entry) => ["WARN", "ERROR", "FATAL"].includes(String(entry["level"] ?? entry["logLevel"] ?? "").toUpperCase())).slice(-8)

interface FaultFigures {
  readonly fault: string
  readonly holdMs: number
  /** Sync latency of the records made while the fault was on (creation → other side). */
  readonly latencyP50Ms: number | null
  readonly latencyP99Ms: number | null
  readonly latencyMaxMs: number | null
  /** Heal → every record made so far is on the other side, correct and written back. */
  readonly drainMs: number | null
  readonly hubspotCalls: number
  readonly hubspotErrors: number
}

const run = async (stack: ChaosStack) => {
  const random = seededRandom(seed)
  const workload = new Workload(seed, stack.hubspot, stack.commerce)
  const firstSeen = new Map<string, number>()
  let paused = false
  let stopping = false
  const workloadLoop = (async () => {
    while (!stopping) {
      if (!paused) await workload.step().catch((e) => log(`workload step failed: ${e}`))
      await Bun.sleep(1000)
    }
  })()
  const tracker = setInterval(() => {
    const isSynced = synced(stack.hubspot, stack.commerce)
    for (const m of workload.made) if (!firstSeen.has(m.id) && isSynced(m)) firstSeen.set(m.id, Date.now())
  }, 250)
  const verdictNow = (before = Number.POSITIVE_INFINITY): Verdict =>
    check(
      workload.made.filter((m) => m.createdAt <= before),
      stack.hubspot,
      stack.commerce
    )
  // The workload pauses while a drain is measured, so the figure is the backlog's alone. Problems
  // that were already there before the fault (and are reported at the end) do not hold it up.
  const drain = async (timeoutMs: number, outstanding: ReadonlySet<string> = new Set()): Promise<number | null> => {
    paused = true
    const from = Date.now()
    const until = Math.min(from + timeoutMs, hardDeadline)
    try {
      while (Date.now() < until) {
        if (verdictNow().keys.every((key) => outstanding.has(key))) return Date.now() - from
        await Bun.sleep(250)
      }
      return null
    } finally {
      paused = false
    }
  }

  const figures: Array<FaultFigures> = []
  await Bun.sleep(8_000)
  const baseline = await drain(DRAIN_TIMEOUT_MS)
  log(`baseline drained in ${baseline} ms, ${workload.made.length} records`)
  let round = 0
  do {
    for (const fault of shuffled(chosen, random)) {
      // The first round runs whole; later ones stop when the run's minutes are up.
      if (remaining() < 3 * 60_000 || (round > 0 && Date.now() - startedAt >= runMs)) break
      const from = Date.now()
      const callsBefore = stack.hubspot.requestLog().length
      const gateBefore = stack.gate.rejected()
      const outstanding = new Set(verdictNow().keys)
      log(`inject ${fault.name}`)
      await fault.inject(stack)
      await Bun.sleep(HOLD_MS)
      log(`heal ${fault.name}`)
      await fault.heal(stack)
      const healedAt = Date.now()
      const drainMs = await drain(DRAIN_TIMEOUT_MS, outstanding)
      const calls = stack.hubspot.requestLog().slice(callsBefore)
      const latencies = workload.made
        .filter((m) => m.createdAt >= from && m.createdAt <= healedAt)
        .map((m) => (firstSeen.get(m.id) ?? Date.now()) - m.createdAt)
      figures.push({
        fault: fault.name,
        holdMs: healedAt - from,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
        latencyMaxMs: percentile(latencies, 100),
        drainMs,
        hubspotCalls: calls.length + stack.gate.rejected() - gateBefore,
        hubspotErrors: calls.filter((c) => Number(c.status) >= 400).length + stack.gate.rejected() - gateBefore
      })
      log(`${fault.name}: ${JSON.stringify(figures.at(-1))}`)
      if (drainMs === null) {
        log(`not drained: ${JSON.stringify(verdictNow().problems.slice(0, 5))}`)
        for (const r of stack.replicas) for (const entry of serviceTrouble(r.service.logs)) log(`${r.name}: ${JSON.stringify(entry).slice(0, 400)}`)
      }
    }
    round++
  } while (Date.now() - startedAt < runMs && remaining() > 3 * 60_000)

  stopping = true
  await workloadLoop
  // Quiescence: the oracle holds and HubSpot has seen no write for QUIET_MS.
  const quiesce = async (): Promise<boolean> => {
    const until = Math.min(Date.now() + 2 * DRAIN_TIMEOUT_MS, hardDeadline)
    let count = hubspotWrites(stack).length
    let since = Date.now()
    while (Date.now() < until) {
      await Bun.sleep(250)
      const now = hubspotWrites(stack).length
      if (now !== count) [count, since] = [now, Date.now()]
      if (Date.now() - since >= QUIET_MS && passes(verdictNow())) return true
    }
    return false
  }
  const quiet = await quiesce()
  const writesAtQuiescence = hubspotWrites(stack).length
  await Bun.sleep(QUIET_MS)
  const writesAfter = hubspotWrites(stack).length - writesAtQuiescence
  clearInterval(tracker)
  const verdict = verdictNow()
  const parkedItems = await Promise.race([stack.parked(), Bun.sleep(10_000).then(() => undefined)]).catch(() => undefined)
  const parked = parkedItems?.length ?? -1
  // Parked with the effect reached anyway (the oracle holds) is reported, by step and reason.
  const parkedReasons: Record<string, number> = {}
  for (const item of parkedItems ?? []) {
    const key = `${item.step}: ${item.reason.slice(0, 80)}`
    parkedReasons[key] = (parkedReasons[key] ?? 0) + 1
  }
  const queues = await stack.rabbit.queues().catch(() => ({}) as Record<string, number>)
  const queuedLeft = Object.entries(queues as Record<string, number>).filter(([name, n]) => n > 0 && !/parking|dead-letters/.test(name))
  const made = Object.fromEntries(["company", "contact", "business", "user", "purchase"].map((k) => [k, workload.made.filter((m) => m.kind === k).length]))
  const pass = quiet && passes(verdict) && writesAfter === 0
  return {
    suite: "chaos",
    pass,
    seed,
    minutes,
    rounds: round,
    lost: verdict.lost,
    duplicates: verdict.duplicates,
    mismatched: verdict.mismatched,
    missingWriteBacks: verdict.missingWriteBacks,
    hubspotWritesAfterQuiescence: writesAfter,
    quiescent: quiet,
    parked,
    parkedReasons,
    queuedLeft: Object.fromEntries(queuedLeft),
    made,
    refusedShopChanges: workload.refusedShopChanges,
    baselineDrainMs: baseline,
    faults: figures,
    durationMs: Date.now() - startedAt,
    problems: verdict.problems.slice(0, 10)
  }
}

let stack: ChaosStack | undefined
const cleanup = async () => {
  const s = stack
  stack = undefined
  await s?.stop()
}
process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)))
process.on("SIGTERM", () => void cleanup().finally(() => process.exit(143)))
const watchdog = setTimeout(
  () => {
    writeSummary({ suite: "chaos", pass: false, seed, minutes, error: "global deadline passed" })
    void cleanup().finally(() => process.exit(1))
  },
  hardDeadline - startedAt + 60_000
)

let summary: Record<string, unknown>
try {
  stack = await startChaosStack()
  await stack.startReplica("a")
  log("stack up")
  summary = await run(stack)
} catch (error) {
  summary = { suite: "chaos", pass: false, seed, minutes, error: String(error instanceof Error ? (error.stack ?? error.message) : error).slice(0, 2000) }
}
await cleanup().catch(() => {})
clearTimeout(watchdog)
writeSummary(summary)
process.exit(summary["pass"] === true ? 0 : 1)
