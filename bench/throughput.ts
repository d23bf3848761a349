// Throughput of the whole service, driven only from outside: `bun src/main.ts` as a process on the
// shared RabbitMQ (a throwaway vhost per stack) and a PRIVATE FerretDB (its request counters and
// CPU are this run's alone), with the HubSpot simulator sending signed webhooks and the commerce
// simulator on the broker. Phases and targets: issue 8, "Benchmark". Prints one table.
// Usage: AMQP_URL=amqp://guest:guest@127.0.0.1:5672 bun run bench:throughput [--contacts 200 …] (--help)
import type { Stack } from "../test/support/e2e/Stack.ts"
import { startStack } from "../test/support/e2e/Stack.ts"
import { parseArgs } from "./throughput/Args.ts"
import { Deadline } from "./throughput/Deadline.ts"
import { findFerretDb, startFerretDb } from "./throughput/FerretDb.ts"
import { budgetPhase, flowPhase, intakePhase, modes, type PhaseContext } from "./throughput/Phases.ts"
import { printTable, type Row, row } from "./throughput/Table.ts"

const args = (() => {
  try {
    return parseArgs(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exit(2)
  }
})()
if (process.env.AMQP_URL === undefined) {
  console.error("Set AMQP_URL to the shared RabbitMQ (with rabbitmqctl on PATH): AMQP_URL=amqp://guest:guest@127.0.0.1:5672")
  process.exit(2)
}

const deadline = Deadline.inMinutes(args.deadlineMinutes)
const started = performance.now()
const progress = (line: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`)

// Everything this run started, stopped on the way out (also on Ctrl-C), last first.
const running = new Set<() => Promise<unknown>>()
const stopAll = async () => {
  for (const stop of [...running].reverse()) await stop().catch((error: unknown) => console.error("bench: cleanup failed:", error))
  running.clear()
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)))
// A global deadline the bench keeps even if a phase hangs: clean up and leave.
const watchdog = setTimeout(() => {
  console.error("bench: global deadline passed; stopping")
  void stopAll().finally(() => process.exit(3))
}, deadline.remainingMs() + 60_000)

const ferretBinary = findFerretDb(args.ferretdb)
const store = await startFerretDb(ferretBinary)
running.add(store.stop)
progress(`private FerretDB ${store.url} (pid ${store.pid}) from ${ferretBinary}`)

const stops = new Map<Stack, () => Promise<unknown>>()
const ctx: PhaseContext = {
  args,
  deadline,
  store,
  progress,
  stack: async (options) => {
    const stack = await startStack(store.url, options)
    const stop = () => stack.stop()
    stops.set(stack, stop)
    running.add(stop)
    return stack
  },
  stop: async (stack) => {
    const stop = stops.get(stack)
    if (stop === undefined) return
    stops.delete(stack)
    running.delete(stop)
    await stop()
  }
}

const phases: ReadonlyArray<readonly [string, () => Promise<ReadonlyArray<Row>>]> = [
  ["intake", () => intakePhase(ctx)],
  ["flows", () => flowPhase(ctx, modes.flows)],
  ["memory", () => flowPhase(ctx, modes.memory)],
  ["embedded", () => flowPhase(ctx, modes.embedded)],
  ["budget", () => budgetPhase(ctx)]
]

const rows: Array<Row> = []
try {
  for (const [name, run] of phases) {
    if (!args.phases.has(name as never)) continue
    if (deadline.remainingMs() < 10_000) {
      rows.push(row(name, "skipped", "", `the run's deadline (${args.deadlineMinutes} min) passed`))
      continue
    }
    const found = await run().catch((error: unknown) => [
      row(name, "failed", "", error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error))
    ])
    // Shown as it comes, so a run cut short still tells what it measured.
    for (const r of found) progress(`  ${r.section} | ${r.measure}: ${r.value}`)
    rows.push(...found)
  }
} finally {
  await stopAll()
  clearTimeout(watchdog)
}
const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"]).stdout.toString().trim()
console.log(
  `\ncrm-sync throughput at ${commit}, ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores; ${process.argv.slice(2).join(" ") || "defaults"}`
)
printTable(rows)
