// A private RabbitMQ node for the chaos suite: its own node name, ports and directories, so
// stopping or killing it never touches the shared broker on :5672. Managed with `rabbitmqctl -n`.
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, waitForPort } from "./Ports.ts"

export interface PrivateRabbitMq {
  readonly url: string
  readonly port: number
  readonly node: string
  /** `rabbitmqctl stop`: a clean broker shutdown. */
  readonly stop: () => Promise<void>
  /** SIGKILL of the broker's Erlang VM, as a crash would. */
  readonly kill: () => Promise<void>
  /** Starts it again on the same ports and data directory; resolves once it accepts AMQP. */
  readonly start: () => Promise<void>
  /** Closes every client connection, as a network cut or an operator would. */
  readonly closeConnections: () => Promise<void>
  /**
   * Raises (or clears) the memory alarm by moving the high watermark under (or back to) what the
   * node uses: while it is on, the broker blocks every connection that publishes; consumers keep
   * receiving and acking. Resolves once the node reports the alarm as set (or cleared).
   */
  readonly memoryAlarm: (on: boolean) => Promise<void>
  /** Messages per queue (parking and dead letters included). */
  readonly queues: () => Promise<Record<string, number>>
  readonly dispose: () => Promise<void>
}

const sbin = "/usr/sbin"
const run = async (args: Array<string>, env: Record<string, string>, timeoutMs = 60_000): Promise<string> => {
  const child = Bun.spawn(args, { env: { ...process.env, ...env, PATH: `${process.env.PATH}:${sbin}:/usr/lib/rabbitmq/bin` }, stdout: "pipe", stderr: "pipe" })
  const timer = setTimeout(() => child.kill(9), timeoutMs)
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${args.join(" ")} failed (${code}): ${err.trim() || out.trim()}`)
  return out
}

export const startPrivateRabbitMq = async (): Promise<PrivateRabbitMq> => {
  const port = freePort()
  const distPort = freePort()
  const name = `crmchaos${process.pid}`
  const node = `${name}@localhost`
  const dir = mkdtempSync(join(tmpdir(), "crm-sync-rabbitmq-"))
  // The machine's rabbitmq.conf pins the listener to :5672; the private node gets its own config.
  writeFileSync(join(dir, "rabbitmq.conf"), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`)
  // The Debian wrapper drops root to the rabbitmq user, which must own the node's directories.
  if (process.getuid?.() === 0) {
    const uid = Number(Bun.spawnSync(["id", "-u", "rabbitmq"]).stdout.toString().trim())
    const gid = Number(Bun.spawnSync(["id", "-g", "rabbitmq"]).stdout.toString().trim())
    if (Number.isInteger(uid) && uid > 0) {
      chownSync(dir, uid, gid)
      chownSync(join(dir, "rabbitmq.conf"), uid, gid)
    }
  }
  const env = {
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_PID_FILE: join(dir, "node.pid"),
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
    // No management plugin or other enabled plugins of the shared node: a bare, fast node.
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    RABBITMQ_ENABLED_PLUGINS: ""
  }
  const ctl = (...args: Array<string>) => run(["rabbitmqctl", "-n", node, ...args], env)
  const start = async () => {
    await run(["rabbitmq-server", "-detached"], env)
    await waitForPort(port, 90_000)
    await ctl("await_startup", "--timeout", "60")
  }
  const pid = (): number | undefined => {
    try {
      const n = Number(readFileSync(env.RABBITMQ_PID_FILE, "utf8").trim())
      return Number.isInteger(n) && n > 0 ? n : undefined
    } catch {
      return undefined
    }
  }
  const kill = async () => {
    const p = pid()
    if (p === undefined) return
    try {
      process.kill(p, "SIGKILL")
    } catch {}
    for (let i = 0; i < 100 && alive(p); i++) await Bun.sleep(100)
  }
  const stop = async () => {
    await ctl("stop").catch(() => kill())
  }
  // The watermark the node started with (an Erlang term: 0.6, or {absolute,N}), restored on heal.
  // One `rabbitmqctl eval` each way (every CLI call boots a VM, about a second): it moves the
  // watermark and waits on the node until the alarm is set or cleared.
  let watermark: string | undefined
  const memoryAlarm = async (on: boolean) => {
    const target = on ? "0.0001" : (watermark ?? "0.6")
    const out = await ctl(
      "eval",
      `W = vm_memory_monitor:get_vm_memory_high_watermark(), vm_memory_monitor:set_vm_memory_high_watermark(${target}),
       Alarmed = fun() -> lists:any(fun({{resource_limit, memory, _}, _}) -> true; (_) -> false end, rabbit_alarm:get_alarms()) end,
       Settled = lists:foldl(fun(_, true) -> true; (_, false) -> timer:sleep(100), Alarmed() =:= ${on} end, false, lists:seq(1, 100)),
       {W, Settled}.`
    )
    const [, before, settled] = /^\{(.*),(true|false)\}$/.exec(out.trim().replace(/\s+/g, "")) ?? []
    if (on && watermark === undefined && before !== undefined) watermark = before
    if (settled !== "true") throw new Error(`the memory alarm of ${node} did not ${on ? "go on" : "clear"} within 10 s: ${out.trim()}`)
  }
  await start()
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    node,
    stop,
    kill,
    start,
    memoryAlarm,
    closeConnections: async () => {
      await ctl("close_all_connections", "chaos").catch(() => {})
    },
    queues: async () => {
      const out = await ctl("list_queues", "name", "messages", "--quiet", "--no-table-headers")
      return Object.fromEntries(
        out
          .trim()
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => line.trim().split(/\s+/))
          .map(([queue, count]) => [queue ?? "", Number(count)])
      )
    },
    dispose: async () => {
      await stop()
      await kill()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
