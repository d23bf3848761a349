// A PRIVATE FerretDB 1.24 (SQLite) for the bench, on free ports, so its request counters and CPU
// belong to this run alone. The shared server on :27017 is never touched.
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { MongoClient } from "mongodb"
import { waitUntil } from "./Deadline.ts"
import { freePort } from "./FreePort.ts"

const binaryName = "ferretdb-v1.24.2-pushdown-queue"
const root = new URL("../..", import.meta.url).pathname

export interface FerretDb {
  readonly url: string
  readonly pid: number
  /** Requests served so far, by command (`find`, `insert`, `update`, …). */
  readonly requests: () => Promise<Record<string, number>>
  readonly stop: () => Promise<void>
}

/** The commands that read or write data; handshakes, heartbeats and session ends are not store operations. */
const dataCommands = new Set(["insert", "update", "delete", "find", "getMore", "findAndModify", "aggregate", "count", "distinct", "bulkWrite"])

/** Store operations between two readings of `requests`, with the busiest commands named. */
export const opsBetween = (before: Record<string, number>, after: Record<string, number>) => {
  const byCommand = Object.entries(after)
    .filter(([command]) => dataCommands.has(command))
    .map(([command, n]) => [command, n - (before[command] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
  return { total: byCommand.reduce((sum, [, n]) => sum + n, 0), byCommand }
}

const run = (cmd: ReadonlyArray<string>, cwd?: string): string => {
  const result = Bun.spawnSync([...cmd], { stdout: "pipe", stderr: "inherit", ...(cwd === undefined ? {} : { cwd }) })
  if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${result.exitCode})`)
  return result.stdout.toString()
}

/** The main checkout's .data/bin serves every worktree; scripts/services.sh builds it there. */
const candidates = (): Array<string> => {
  const mine = join(root, ".data/bin", binaryName)
  try {
    const common = run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], root).trim()
    return [mine, join(dirname(common), ".data/bin", binaryName)]
  } catch {
    return [mine]
  }
}

/** Builds it with scripts/build-ferretdb.sh (FerretDB 1.24.2 with our SQLite pushdown and write-queue patches). */
const build = (): string => run([join(root, "scripts/build-ferretdb.sh")]).trim()

export const findFerretDb = (given: string | undefined): string => {
  if (given !== undefined) return given
  const found = candidates().find((path) => existsSync(path))
  return found ?? build()
}

/** Requests by command from FerretDB's Prometheus text (`ferretdb_client_requests_total`), opcodes summed. */
export const parseRequestCounters = (text: string): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^ferretdb_client_requests_total\{command="([^"]+)"[^}]*\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)) {
    const command = match[1] ?? ""
    counts[command] = (counts[command] ?? 0) + Number(match[2])
  }
  return counts
}

const readCounters = async (debugUrl: string): Promise<Record<string, number>> => parseRequestCounters(await (await fetch(`${debugUrl}/debug/metrics`)).text())

const answers = async (url: string): Promise<boolean> => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 500 })
  try {
    await client.db("admin").command({ ping: 1 })
    return true
  } catch {
    return false
  } finally {
    await client.close().catch(() => {})
  }
}

export const startFerretDb = async (binary: string): Promise<FerretDb> => {
  const dir = mkdtempSync(join(tmpdir(), "crm-sync-bench-ferretdb-"))
  const [port, debugPort] = [freePort(), freePort()]
  const child = Bun.spawn(
    [
      binary,
      "--handler=sqlite",
      `--sqlite-url=file:${dir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      `--debug-addr=127.0.0.1:${debugPort}`,
      `--state-dir=${dir}`,
      "--telemetry=disable",
      "--log-level=warn"
    ],
    // A file, not a pipe: an unread pipe would fill up and stall the server.
    { stdout: "ignore", stderr: Bun.file(join(dir, "ferretdb.log")), stdin: "ignore" }
  )
  const url = `mongodb://127.0.0.1:${port}`
  const stop = async () => {
    child.kill("SIGTERM")
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000)
    await child.exited
    clearTimeout(killer)
    rmSync(dir, { recursive: true, force: true })
  }
  const up = await waitUntil(async () => child.exitCode !== null || (await answers(url)), 30_000, 250)
  if (!up.done || child.exitCode !== null) {
    const log = await Bun.file(join(dir, "ferretdb.log"))
      .text()
      .catch(() => "")
    await stop()
    throw new Error(`private FerretDB did not start: ${log}`)
  }
  return { url, pid: child.pid, requests: () => readCounters(`http://127.0.0.1:${debugPort}`), stop }
}
