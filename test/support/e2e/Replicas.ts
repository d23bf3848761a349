// Several `bun start` processes of one stack (one broker vhost, one database, one AMQP prefix):
// the stack's own service is replica "r1"; more join with `add`. HubSpot's webhooks reach the
// live replicas through the stack's front proxy (round robin), as a load balancer would.
import { type RunningService, startService } from "../ServiceProcess.ts"
import type { Stack } from "./Stack.ts"

export interface Replica {
  readonly id: string
  readonly port: number
  readonly service: RunningService
}

/** What `/readyz` tells about a replica: its id and the partitions it holds (the partitioning branch adds both). */
export interface Readiness {
  readonly status: number
  /** Each readiness check by name (false: that dependency does not answer). */
  readonly checks: Record<string, boolean>
  readonly replica: string | undefined
  readonly partitions: ReadonlyArray<number> | undefined
}

export interface Replicas {
  readonly stack: Stack
  /** The replicas still running, in the order they started. */
  readonly live: () => ReadonlyArray<Replica>
  readonly add: (id: string) => Promise<Replica>
  /** SIGKILL: no shutdown at all; its deliveries go back to the broker when its connection drops. */
  readonly kill: (replica: Replica) => Promise<void>
  /** SIGTERM; resolves with the exit code and how long the shutdown took. */
  readonly terminate: (replica: Replica) => Promise<{ readonly code: number; readonly ms: number }>
  readonly readiness: (replica: Replica) => Promise<Readiness>
  /** Queues of the stack's vhost holding messages: "name ready/unacknowledged/consumers" (for failure messages). */
  readonly busyQueues: () => Promise<ReadonlyArray<string>>
  /** SIGTERM to every live replica, then the stack; the exit codes by replica id. */
  readonly stop: () => Promise<Record<string, number>>
}

const portOf = (service: RunningService) => Number(new URL(service.url).port)

const busyQueuesOf = async (vhost: string): Promise<ReadonlyArray<string>> => {
  const columns = ["name", "messages_ready", "messages_unacknowledged", "consumers"]
  const child = Bun.spawn(["rabbitmqctl", "list_queues", "-p", vhost, ...columns, "--quiet", "--no-table-headers"], { stdout: "pipe", stderr: "pipe" })
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  if (code !== 0) return [`rabbitmqctl list_queues failed (${code})`]
  return out
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ready, unacked]) => Number(ready) + Number(unacked) > 0)
    .map(([name, ready, unacked, consumers]) => `${name} ${ready}/${unacked}/${consumers}`)
}

/** Wraps a stack started with `webhookFront: true` and `env.REPLICA_ID` of its first replica. */
export const replicasOf = (stack: Stack): Replicas => {
  const front = stack.front
  if (front === undefined) throw new Error("replicasOf needs a stack started with webhookFront: true")
  const first = stack.serviceEnv["REPLICA_ID"] ?? "r1"
  const live: Array<Replica> = [{ id: first, port: portOf(stack.service), service: stack.service }]
  const route = () => front.setTargets(live.map((r) => r.port))
  const leave = (replica: Replica) => {
    const at = live.indexOf(replica)
    if (at >= 0) live.splice(at, 1)
    route()
  }
  const add = async (id: string) => {
    // PORT 0: the service picks a free port and logs it; the front proxy learns it from the URL.
    const service = await startService({ ...stack.serviceEnv, PORT: "0", REPLICA_ID: id }, 60_000)
    const replica = { id, port: portOf(service), service }
    live.push(replica)
    route()
    return replica
  }
  const kill = async (replica: Replica) => {
    leave(replica)
    replica.service.process.kill("SIGKILL")
    await replica.service.process.exited
  }
  const terminate = async (replica: Replica) => {
    // Out of the webhook rotation first, as a load balancer drains a pod before stopping it.
    leave(replica)
    const started = Date.now()
    const code = await replica.service.stop()
    return { code, ms: Date.now() - started }
  }
  const readiness = async (replica: Replica): Promise<Readiness> => {
    const response = await fetch(`${replica.service.url}/readyz`)
    const body = (await response.json()) as Record<string, unknown>
    const partitions = body["partitions"]
    return {
      status: response.status,
      checks: (body["checks"] ?? {}) as Record<string, boolean>,
      replica: typeof body["replica"] === "string" ? body["replica"] : undefined,
      partitions: Array.isArray(partitions) ? partitions.map(Number) : undefined
    }
  }
  const stop = async () => {
    const codes: Record<string, number> = {}
    for (const replica of [...live].reverse()) {
      if (replica.service === stack.service) continue
      codes[replica.id] = (await terminate(replica)).code
    }
    const stackServiceLive = live.some((r) => r.service === stack.service)
    const code = await stack.stop()
    if (stackServiceLive) codes[first] = code
    return codes
  }
  return { stack, live: () => [...live], add, kill, terminate, readiness, busyQueues: () => busyQueuesOf(stack.broker.vhost), stop }
}
