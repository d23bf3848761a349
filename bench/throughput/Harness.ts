// What every service bench run shares: its arguments read or a usage error (exit 2), the shared
// RabbitMQ required, a deadline with a watchdog, a PRIVATE FerretDB, stacks on it that the run
// stops on the way out (also on Ctrl-C), progress lines on stderr, and the closing table.
import type { Stack, StackOptions } from "../../test/support/e2e/Stack.ts"
import { startStack } from "../../test/support/e2e/Stack.ts"
import { Deadline } from "./Deadline.ts"
import { type FerretDb, findFerretDb, startFerretDb } from "./FerretDb.ts"
import { printTable, type Row, row } from "./Table.ts"

export interface Harness {
  readonly deadline: Deadline
  readonly store: FerretDb
  readonly progress: (line: string) => void
  /** Starts a stack on the private FerretDB that the run stops on exit, whatever happens. */
  readonly stack: (options: StackOptions) => Promise<Stack>
  readonly stop: (stack: Stack) => Promise<void>
  /** Anything else the run started, stopped on the way out, last first; returns the way to forget it. */
  readonly onExit: (stop: () => Promise<unknown>) => () => void
  /** Stops everything, then prints the title line and the table. */
  readonly finish: (title: string, rows: ReadonlyArray<Row>) => Promise<void>
}

/** Parses the arguments; a usage error ends the process with 2. */
export const argsOr2 = <A>(parse: (argv: ReadonlyArray<string>) => A): A => {
  try {
    return parse(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exit(2)
  }
}

export const startHarness = async (options: { readonly deadlineMinutes: number; readonly ferretdb: string | undefined }): Promise<Harness> => {
  if (process.env.AMQP_URL === undefined) {
    console.error("Set AMQP_URL to the shared RabbitMQ (with rabbitmqctl on PATH): AMQP_URL=amqp://guest:guest@127.0.0.1:5672")
    process.exit(2)
  }
  const deadline = Deadline.inMinutes(options.deadlineMinutes)
  const started = performance.now()
  const progress = (line: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`)

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

  const ferretBinary = findFerretDb(options.ferretdb)
  const store = await startFerretDb(ferretBinary)
  running.add(store.stop)
  progress(`private FerretDB ${store.url} (pid ${store.pid}) from ${ferretBinary}`)

  const stops = new Map<Stack, () => Promise<unknown>>()
  return {
    deadline,
    store,
    progress,
    stack: async (stackOptions) => {
      const stack = await startStack(store.url, stackOptions)
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
    },
    onExit: (stop) => {
      running.add(stop)
      return () => void running.delete(stop)
    },
    finish: async (title, rows) => {
      await stopAll()
      clearTimeout(watchdog)
      const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"]).stdout.toString().trim()
      console.log(
        `\n${title} at ${commit}, ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores; ${process.argv.slice(2).join(" ") || "defaults"}`
      )
      printTable(rows)
    }
  }
}

/** Runs each selected phase in turn, printing its rows as they come; a failed phase is a row. */
export const runPhases = async (
  harness: Harness,
  phases: ReadonlyArray<readonly [string, () => Promise<ReadonlyArray<Row>>]>,
  selected: ReadonlySet<string>,
  deadlineNote: string
): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  for (const [name, run] of phases) {
    if (!selected.has(name)) continue
    if (harness.deadline.remainingMs() < 10_000) {
      rows.push(row(name, "skipped", "", `the run's deadline (${deadlineNote}) passed`))
      continue
    }
    const found = await run().catch((error: unknown) => {
      harness.progress(`${name} failed: ${error instanceof Error ? error.stack : String(error)}`)
      return [row(name, "failed", "", error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error))]
    })
    // Shown as it comes, so a run cut short still tells what it measured.
    for (const r of found) harness.progress(`  ${r.section} | ${r.measure}: ${r.value}`)
    rows.push(...found)
  }
  return rows
}
