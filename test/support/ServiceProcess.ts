// Starts `bun start` as a real child process and reads its JSON log lines.
import { type Subprocess, spawn } from "bun"

export interface RunningService {
  readonly process: Subprocess<"ignore", "pipe", "pipe">
  readonly url: string
  readonly logs: Array<Record<string, unknown>>
  /** Sends SIGTERM and resolves with the exit code. */
  readonly stop: () => Promise<number>
}

const root = new URL("../..", import.meta.url).pathname

export const startService = async (env: Record<string, string> = {}, timeoutMs = 15_000): Promise<RunningService> => {
  const child = spawn(["bun", "run", "start"], {
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
    for await (const chunk of child.stdout) {
      buffer += new TextDecoder().decode(chunk)
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
  const deadline = Date.now() + timeoutMs
  while (url === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill()
      throw new Error(`service did not start: ${await new Response(child.stderr).text()}\n${JSON.stringify(logs)}`)
    }
    await Bun.sleep(50)
  }
  const stop = async () => {
    child.kill("SIGTERM")
    const code = await child.exited
    await reader
    return code
  }
  return { process: child, url, logs, stop }
}
