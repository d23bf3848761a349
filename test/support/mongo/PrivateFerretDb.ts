// A private FerretDB for fault tests: its own port and data directory, so killing it never
// touches the shared server on :27017. Uses the binary scripts/services.sh builds into .data/bin.
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const binary = join(import.meta.dir, "..", "..", "..", ".data", "bin", "ferretdb-v1.24.2-pushdown-queue")
export const privateFerretDbAvailable = existsSync(binary)

const freePort = (): number => {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

const waitForPort = async (port: number, ms: number) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const open = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (socket) => {
        socket.end()
        return true
      },
      () => false
    )
    if (open) return
    await Bun.sleep(100)
  }
  throw new Error(`private FerretDB did not open port ${port}`)
}

export interface PrivateFerretDb {
  readonly url: string
  /** SIGKILL, as a crash would. */
  readonly kill: () => Promise<void>
  /** Starts it again on the same port and data. */
  readonly start: () => Promise<void>
  readonly dispose: () => Promise<void>
}

export const startPrivateFerretDb = async (): Promise<PrivateFerretDb> => {
  const port = freePort()
  const dir = mkdtempSync(join(tmpdir(), "crm-sync-ferretdb-"))
  let process: ReturnType<typeof Bun.spawn> | undefined
  const start = async () => {
    process = Bun.spawn(
      [
        binary,
        "--handler=sqlite",
        `--sqlite-url=file:${dir}/`,
        `--listen-addr=127.0.0.1:${port}`,
        "--telemetry=disable",
        "--debug-addr=-",
        `--state-dir=${dir}`,
        "--log-level=error"
      ],
      { stdout: "ignore", stderr: "ignore" }
    )
    await waitForPort(port, 15_000)
  }
  const kill = async () => {
    process?.kill(9)
    await process?.exited
    process = undefined
  }
  await start()
  return {
    url: `mongodb://127.0.0.1:${port}`,
    kill,
    start,
    dispose: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
