// The whole system for end-to-end tests: `bun start` as a real process on RabbitMQ (its own
// vhost) and FerretDB (its own database), talking to the HubSpot simulator (which sends signed
// webhooks to it) and to the commerce simulator (on the same broker, serving REST lookups).
import { createHmac } from "node:crypto"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { MongoClient } from "mongodb"
import { setupHubSpot } from "../../../src/adapters/hubspot/SetupHubSpot.ts"
import * as InMemoryParkedItems from "../../../src/adapters/memory/InMemoryParkedItems.ts"
import * as MongoConnection from "../../../src/adapters/mongo/MongoConnection.ts"
import * as MongoParkedItems from "../../../src/adapters/mongo/MongoParkedItems.ts"
import * as RabbitMqBus from "../../../src/adapters/rabbitmq/RabbitMqBus.ts"
import { type ParkedItem, ParkedItems } from "../../../src/application/ports/ParkedItems.ts"
import { makeTestBroker, type TestBroker } from "../amqp/AmqpTestBroker.ts"
import { type FaultProxy, startFaultProxy } from "../chaos/FaultProxy.ts"
import * as Sim from "../commerce/CommerceSimulator.ts"
import type { Faults } from "../hubspot/Faults.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../hubspot/HubSpotSimulator.ts"
import { type RunningService, startService } from "../ServiceProcess.ts"

const TOKEN = "e2e-token"
const SECRET = "e2e-webhook-secret"
/** The service's AMQP_PREFIX inside the stack's own vhost. */
export const PREFIX = "crm-sync"

export interface Stack {
  readonly hubspot: HubSpotSimulator
  readonly commerce: Sim.Simulator
  readonly service: RunningService
  readonly broker: TestBroker
  /** The service's AMQP_PREFIX (the stack's own vhost holds it). */
  readonly prefix: string
  /** With `webhookFront`: the proxy HubSpot's webhooks go through, spread over the replicas it targets. */
  readonly front: FaultProxy | undefined
  /** The service's database and environment: a test may start another replica beside it. */
  readonly dbName: string
  readonly serviceEnv: Record<string, string>
  readonly parked: () => Promise<ReadonlyArray<ParkedItem>>
  /** Messages still sitting in the vhost's queues (parking excluded), by queue. */
  readonly queued: () => Promise<Record<string, number>>
  /** Posts webhook events to the service signed as HubSpot would (v3), as a redelivery. */
  readonly deliver: (events: ReadonlyArray<unknown>) => Promise<Response>
  readonly stop: () => Promise<number>
}

export interface StackOptions {
  readonly hubspotFaults?: Partial<Faults>
  readonly webhookDuplicates?: boolean
  readonly webhookReorder?: boolean
  readonly commerce?: Sim.Options
  /** Extra environment for the service (e.g. HUBSPOT_BURST_LIMIT). */
  readonly env?: Record<string, string>
  /** The simulator's own burst limit (requests per 10 s; the simulator's default otherwise). */
  readonly hubspotBurstLimit?: number
  /** The simulator's daily cap once the stack is set up (its day starts afresh then); until `hubspot.resetDay()`. */
  readonly hubspotDailyLimit?: number
  /** AMQP_PREFIX of the service and the commerce simulator (default PREFIX). */
  readonly prefix?: string
  /** Webhooks reach the service through a proxy whose targets a test sets (several replicas). */
  readonly webhookFront?: boolean
}

const freePort = (): number => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}

/** Messages per queue of the vhost (parking and dead letters excluded); throws if rabbitmqctl fails. */
const listQueues = async (vhost: string): Promise<Record<string, number>> => {
  const child = Bun.spawn(["rabbitmqctl", "list_queues", "-p", vhost, "name", "messages", "--quiet", "--no-table-headers"], { stdout: "pipe", stderr: "pipe" })
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  if (code !== 0) throw new Error(`rabbitmqctl list_queues failed (${code})`)
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.includes("parking") && !line.includes("dead-letters"))
      .map((line) => line.trim().split(/\s+/))
      .map(([name, count]) => [name ?? "", Number(count)])
  )
}

export const startStack = async (mongoUrl: string, options: StackOptions = {}): Promise<Stack> => {
  const cleanups: Array<() => unknown> = []
  try {
    return await assemble(mongoUrl, options, cleanups)
  } catch (error) {
    // Whatever was started before the failure is taken down again, last first.
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
    throw error
  }
}

const assemble = async (mongoUrl: string, options: StackOptions, cleanups: Array<() => unknown>): Promise<Stack> => {
  const broker = await makeTestBroker()
  cleanups.push(() => broker.dispose())
  const dbName = `crm_sync_e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
  const port = freePort()
  const prefix = options.prefix ?? PREFIX
  const front = options.webhookFront === true ? await startFaultProxy([port]) : undefined
  if (front !== undefined) cleanups.push(() => front.close())
  const webhookUrl = `http://127.0.0.1:${front?.port ?? port}/webhooks/hubspot`
  const hubspot = await startHubSpotSimulator({
    accessToken: TOKEN,
    webhook: {
      url: webhookUrl,
      clientSecret: SECRET,
      retryDelaysMs: [200, 500, 1000, 2000, 4000],
      duplicates: options.webhookDuplicates ?? false,
      reorder: options.webhookReorder ?? false
    },
    ...(options.hubspotFaults === undefined ? {} : { faults: options.hubspotFaults }),
    ...(options.hubspotBurstLimit === undefined ? {} : { burstLimit: options.hubspotBurstLimit })
  })
  cleanups.push(() => hubspot.stop())
  await Effect.runPromise(setupHubSpot({ accessToken: Redacted.make(TOKEN), basePath: hubspot.url }))
  if (options.hubspotDailyLimit !== undefined) {
    hubspot.setDailyLimit(options.hubspotDailyLimit)
    hubspot.resetDay()
  }
  const commerceRuntime = ManagedRuntime.make(
    Sim.layer(options.commerce ?? {}).pipe(
      Layer.provideMerge(RabbitMqBus.layer({ url: broker.url, prefix, steps: [Sim.defaultStep] })),
      Layer.provideMerge(InMemoryParkedItems.layer)
    )
  )
  cleanups.push(() => commerceRuntime.dispose())
  const commerce = await commerceRuntime.runPromise(Sim.CommerceSimulator)
  const storeRuntime = ManagedRuntime.make(MongoParkedItems.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: mongoUrl, dbName }))))
  cleanups.push(() => storeRuntime.dispose())
  const serviceEnv: Record<string, string> = {
    PORT: String(port),
    AMQP_URL: broker.url,
    AMQP_PREFIX: prefix,
    MONGO_URL: mongoUrl,
    MONGO_DB: dbName,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_PATH: hubspot.url,
    HUBSPOT_CLIENT_SECRET: SECRET,
    COMMERCE_API_URL: commerce.url,
    RETRY_TIERS_MS: "100,300,1000",
    RETRY_MAX_ATTEMPTS: "6",
    ...options.env
  }
  const service = await startService(serviceEnv, 45_000)
  const parked = () => storeRuntime.runPromise(Effect.flatMap(ParkedItems, (store) => store.list({})))
  const stop = async () => {
    const code = await service.stop()
    await commerceRuntime.dispose()
    await storeRuntime.dispose()
    await hubspot.stop()
    await front?.close()
    broker.dispose()
    const client = new MongoClient(mongoUrl)
    await client
      .db(dbName)
      .dropDatabase()
      .finally(() => client.close())
    return code
  }
  const deliver = (events: ReadonlyArray<unknown>) => {
    const body = JSON.stringify(events)
    const timestamp = Date.now()
    const signature = createHmac("sha256", SECRET).update(`POST${webhookUrl}${body}${timestamp}`).digest("base64")
    return fetch(webhookUrl, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": String(timestamp) }
    })
  }
  return { hubspot, commerce, service, broker, prefix, front, dbName, serviceEnv, parked, queued: () => listQueues(broker.vhost), deliver, stop }
}

/** Polls until `check` stops throwing, or rethrows its last error after `timeoutMs`. */
export const eventually = async <A>(check: () => A | Promise<A>, timeoutMs = 15_000, everyMs = 100): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await Bun.sleep(everyMs)
    }
  }
}
