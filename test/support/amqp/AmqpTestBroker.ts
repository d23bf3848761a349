// Real-broker test support: the service-test rule (skip loudly, or fail under REQUIRE_SERVICES=1)
// and a throwaway vhost per test file, deleted afterwards with everything declared in it.
import amqp from "amqplib"

export const amqpUrl = process.env.AMQP_URL
export const servicesRequired = process.env.REQUIRE_SERVICES === "1"
/** For `describe.skipIf(skipAmqp)`: skipped only when AMQP_URL is unset and services are optional. */
export const skipAmqp = amqpUrl === undefined && !servicesRequired
if (skipAmqp) {
  console.warn("\n⚠️  SKIPPING RabbitMQ tests: AMQP_URL is unset (set it, or REQUIRE_SERVICES=1 to make this a failure)\n")
}

/** Local rabbitmqctl, or the one inside the broker container that the test preload started. */
const rabbitmqctl = (...args: Array<string>): string => {
  const container = process.env.RABBITMQCTL_DOCKER
  const command = container === undefined ? ["rabbitmqctl", ...args] : ["docker", "exec", container, "rabbitmqctl", ...args]
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" })
  if (result.exitCode !== 0) throw new Error(`rabbitmqctl ${args.join(" ")} failed: ${result.stderr.toString()}`)
  return result.stdout.toString()
}

export interface TestBroker {
  readonly url: string
  readonly vhost: string
  /** Forces every client connection of this vhost closed, as a broker restart would. */
  readonly closeConnections: () => void
  /**
   * Deletes the queues whose names start with `prefix` (a finished test's). Every partition is a
   * quorum queue, a Raft server of its own on the broker: a file whose tests each declare a whole
   * topology left hundreds of them alive until the vhost went, and the shared broker then stalled
   * for tens of seconds (no new connection within 10 s) late in the file.
   */
  readonly deleteQueues: (prefix: string) => Promise<void>
  readonly dispose: () => void
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"
  }
}

/**
 * Deletes the vhosts of test processes that are gone (killed before their cleanup ran): their
 * quorum queues stay alive on the shared broker, and a few hundred of them slowed its new
 * connections past our 10 s connect timeout (a killed CI run's vhost failed the next run's tests).
 */
const deleteOrphanVhosts = () => {
  const vhosts = rabbitmqctl("list_vhosts", "--no-table-headers", "--quiet").split("\n")
  for (const name of vhosts.map((v) => v.trim())) {
    const pid = Number(/^crm-sync-test-(\d+)-/.exec(name)?.[1])
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rabbitmqctl("delete_vhost", name)
  }
}

/** Creates a unique vhost (needs a local rabbitmqctl) and checks the broker answers on it. */
export const makeTestBroker = async (): Promise<TestBroker> => {
  if (amqpUrl === undefined) throw new Error("REQUIRE_SERVICES=1 but AMQP_URL is unset")
  if (process.env.RABBITMQCTL_DOCKER === undefined) deleteOrphanVhosts()
  const vhost = `crm-sync-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  // Probe first, so an unreachable broker fails the suite before anything is created.
  await (await amqp.connect(amqpUrl)).close()
  const base = new URL(amqpUrl)
  rabbitmqctl("add_vhost", vhost)
  rabbitmqctl("set_permissions", "-p", vhost, decodeURIComponent(base.username || "guest"), ".*", ".*", ".*")
  base.pathname = `/${encodeURIComponent(vhost)}`
  const url = base.toString()
  return {
    url,
    vhost,
    closeConnections: () => void rabbitmqctl("close_all_connections", "--vhost", vhost, "test"),
    deleteQueues: async (prefix) => {
      const names = rabbitmqctl("list_queues", "-p", vhost, "name", "--no-table-headers", "--quiet")
        .split("\n")
        .map((n) => n.trim())
        .filter((n) => n.startsWith(prefix))
      if (names.length === 0) return
      const connection = await amqp.connect(url)
      try {
        const channel = await connection.createChannel()
        await Promise.all(names.map((name) => channel.deleteQueue(name)))
      } finally {
        await connection.close().catch(() => undefined)
      }
    },
    dispose: () => void rabbitmqctl("delete_vhost", vhost)
  }
}
