// Starts `bun start` as a real child process and reads its JSON log lines.
import { type Subprocess, spawn } from "bun"

export interface RunningService {
  readonly process: Subprocess<"ignore", "pipe", "pipe">
  readonly url: string
  readonly logs: Array<Record<string, unknown>>
  /** What the service wrote to stderr (uncaught failures are reported there). */
  readonly stderr: () => string
  /** Sends SIGTERM and resolves with the exit code. */
  readonly stop: () => Promise<number>
}

const root = new URL("../..", import.meta.url).pathname

export const startService = async (env: Record<string, string> = {}, timeoutMs = 15_000): Promise<RunningService> => {
  // The command behind `bun start`, spawned directly: `bun run` answers SIGTERM with its own
  // exit (143) instead of waiting for the service's graceful shutdown.
  const child = spawn(["bun", "src/main.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", AMQP_URL: "", MONGO_URL: "", ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore"
  })
  const logs: Array<Record<string, unknown>> = []
  let url: string | undefined
  const reader = (async () => {
    let buffer = ""
    const decoder = new TextDecoder()
    for await (const chunk of child.stdout) {
      buffer += decoder.decode(chunk, { stream: true })
      let newline = buffer.indexOf("\n")
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf("\n")
        try {
          const entry = JSON.parse(line) as Record<string, unknown>
          logs.push(entry)
          const annotations = entry["annotations"] as Record<string, unknown> | undefined
          if (entry["message"] === "HTTP server listening" && typeof annotations?.["url"] === "string") url = annotations["url"]
        } catch {
          logs.push({ message: line, unparsed: true })
        }
      }
    }
  })()
  let errors = ""
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of child.stderr) errors += decoder.decode(chunk, { stream: true })
  })()
  const deadline = Date.now() + timeoutMs
  while (url === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill()
      await Bun.sleep(100)
      throw new Error(`service did not start: ${errors}\n${JSON.stringify(logs)}`)
    }
    await Bun.sleep(50)
  }
  const stop = async () => {
    child.kill("SIGTERM")
    const started = Date.now()
    // A shutdown that hangs must not leave an orphan service behind the test run.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000)
    const code = await child.exited
    clearTimeout(deadline)
    if (code !== 0) console.warn(`service exited ${code} (signal ${child.signalCode}) ${Date.now() - started} ms after SIGTERM`)
    await reader
    return code
  }
  return { process: child, url, logs, stderr: () => errors, stop }
}
