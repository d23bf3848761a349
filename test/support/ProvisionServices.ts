// Makes `bun test` on a fresh machine use real services without any setup: when AMQP_URL and
// MONGO_URL are unset it provisions them the way .ci/run does (scripts/services.sh: RabbitMQ on
// :5672, FerretDB built and started on :27017) or, where that fails and a Docker engine is
// reachable, starts RabbitMQ and MongoDB containers through testcontainers. Only when neither
// works are the service tests skipped, loudly (or failed, under REQUIRE_SERVICES=1).
// CRM_SYNC_PROVISION=0 turns it off (the service tests are then skipped unless URLs are set).
import { existsSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dir, "..", "..")
const missing = () => process.env.AMQP_URL === undefined || process.env.MONGO_URL === undefined

/** `export NAME=value` lines, as scripts/services.sh prints them. */
export const parseExports = (text: string): ReadonlyMap<string, string> =>
  new Map(
    text
      .split("\n")
      .map((line) => /^export ([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, (m[2] as string).replace(/^["']|["']$/g, "")])
  )

const setMissing = (found: ReadonlyMap<string, string>) => {
  for (const name of ["AMQP_URL", "MONGO_URL"]) {
    const value = found.get(name)
    if (process.env[name] === undefined && value !== undefined) process.env[name] = value
  }
}

const viaScript = (): boolean => {
  const result = Bun.spawnSync(["bash", join(root, "scripts", "services.sh")], { stdout: "pipe", stderr: "inherit", timeout: 240_000 })
  if (result.exitCode !== 0) return false
  setMissing(parseExports(result.stdout.toString()))
  return !missing()
}

const dockerReachable = () => process.env.DOCKER_HOST !== undefined || existsSync("/var/run/docker.sock")

const viaContainers = async (): Promise<boolean> => {
  const { GenericContainer, Wait } = await import("testcontainers")
  const rabbit = await new GenericContainer("rabbitmq:3.13-management")
    .withExposedPorts(5672)
    .withWaitStrategy(Wait.forLogMessage("Server startup complete"))
    .start()
  const mongo = await new GenericContainer("mongo:7").withExposedPorts(27017).start()
  // The broker tests create a vhost per file with rabbitmqctl: run it inside the container.
  process.env.RABBITMQCTL_DOCKER = rabbit.getId()
  setMissing(
    new Map([
      ["AMQP_URL", `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`],
      ["MONGO_URL", `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`]
    ])
  )
  return true
}

export const provisionServices = async (): Promise<void> => {
  if (!missing() || process.env.CRM_SYNC_PROVISION === "0") return
  if (viaScript()) return
  if (dockerReachable()) {
    try {
      if (await viaContainers()) return
    } catch (error) {
      console.warn(`⚠️  testcontainers could not start RabbitMQ/MongoDB: ${String(error)}`)
    }
  }
  console.warn("\n⚠️  Could not provision RabbitMQ/MongoDB (scripts/services.sh failed, no Docker engine): service tests will be SKIPPED\n")
}
