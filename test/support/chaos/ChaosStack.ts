// Everything the chaos suite runs, all private: a RabbitMQ node and a FerretDB of its own, the
// HubSpot and commerce simulators, and 1–2 replicas of `bun src/main.ts`, which reach the broker,
// the database and HubSpot through fault proxies; HubSpot's webhooks reach the replicas through a
// front proxy that spreads connections over the live ones.
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { setupHubSpot } from "../../../src/adapters/hubspot/SetupHubSpot.ts"
import * as InMemoryParkedItems from "../../../src/adapters/memory/InMemoryParkedItems.ts"
import * as MongoConnection from "../../../src/adapters/mongo/MongoConnection.ts"
import * as MongoParkedItems from "../../../src/adapters/mongo/MongoParkedItems.ts"
import * as RabbitMqBus from "../../../src/adapters/rabbitmq/RabbitMqBus.ts"
import { type ParkedItem, ParkedItems } from "../../../src/application/ports/ParkedItems.ts"
import * as Sim from "../commerce/CommerceSimulator.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../hubspot/HubSpotSimulator.ts"
import { type PrivateFerretDb, startPrivateFerretDb } from "../mongo/PrivateFerretDb.ts"
import { type RunningService, startService } from "../ServiceProcess.ts"
import { type FaultProxy, startFaultProxy } from "./FaultProxy.ts"
import { type HubSpotGate, startHubSpotGate } from "./HubSpotGate.ts"
import { freePort } from "./Ports.ts"
import { type PrivateRabbitMq, startPrivateRabbitMq } from "./PrivateRabbitMq.ts"

const TOKEN = "chaos-token"
const SECRET = "chaos-webhook-secret"
const PREFIX = "crm-sync"
const DB = "crm_sync_chaos"

export interface Replica {
  readonly name: string
  readonly port: number
  service: RunningService
}

export interface ChaosStack {
  readonly rabbit: PrivateRabbitMq
  readonly ferret: PrivateFerretDb
  readonly proxies: { readonly amqp: FaultProxy; readonly mongo: FaultProxy; readonly hubspot: FaultProxy; readonly front: FaultProxy }
  readonly hubspot: HubSpotSimulator
  /** Between the HubSpot proxy and the simulator: 429 storms and the daily cap. */
  readonly gate: HubSpotGate
  readonly commerce: Sim.Simulator
  readonly replicas: Array<Replica>
  readonly webhookUrl: string
  readonly secret: string
  /** Starts a replica (a new one, or `name` again on its old port) and routes webhooks to it too. */
  readonly startReplica: (name: string) => Promise<Replica>
  readonly killReplica: (replica: Replica) => Promise<void>
  readonly parked: () => Promise<ReadonlyArray<ParkedItem>>
  readonly stop: () => Promise<void>
}

export const startChaosStack = async (): Promise<ChaosStack> => {
  const cleanups: Array<() => unknown> = []
  try {
    return await assemble(cleanups)
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
    throw error
  }
}

const assemble = async (cleanups: Array<() => unknown>): Promise<ChaosStack> => {
  const [rabbit, ferret] = await Promise.all([startPrivateRabbitMq(), startPrivateFerretDb()])
  cleanups.push(
    () => rabbit.dispose(),
    () => ferret.dispose()
  )
  const mongoPort = Number(new URL(ferret.url).port)
  const front = await startFaultProxy([])
  const webhookUrl = `http://127.0.0.1:${front.port}/webhooks/hubspot`
  const hubspot = await startHubSpotSimulator({
    accessToken: TOKEN,
    webhook: { url: webhookUrl, clientSecret: SECRET, retryDelaysMs: [200, 500, 1000, 2000, 4000, 8000, 15_000, 30_000] }
  })
  cleanups.push(() => hubspot.stop())
  const gate = startHubSpotGate(hubspot.url)
  cleanups.push(() => gate.stop())
  const proxies = {
    amqp: await startFaultProxy([rabbit.port]),
    mongo: await startFaultProxy([mongoPort]),
    hubspot: await startFaultProxy([gate.port]),
    front
  }
  cleanups.push(...Object.values(proxies).map((p) => () => p.close()))
  await Effect.runPromise(setupHubSpot({ accessToken: Redacted.make(TOKEN), basePath: hubspot.url }))
  const commerceRuntime = ManagedRuntime.make(
    Sim.layer({}).pipe(
      Layer.provideMerge(RabbitMqBus.layer({ url: rabbit.url, prefix: PREFIX, steps: [Sim.defaultStep] })),
      Layer.provideMerge(InMemoryParkedItems.layer)
    )
  )
  cleanups.push(() => commerceRuntime.dispose())
  const commerce = await commerceRuntime.runPromise(Sim.CommerceSimulator)
  const storeRuntime = ManagedRuntime.make(MongoParkedItems.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: ferret.url, dbName: DB }))))
  cleanups.push(() => storeRuntime.dispose())

  const replicas: Array<Replica> = []
  const route = () => front.setTargets(replicas.map((r) => r.port))
  const env = (port: number) => ({
    PORT: String(port),
    AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxies.amqp.port}`,
    AMQP_PREFIX: PREFIX,
    MONGO_URL: proxies.mongo.url("mongodb"),
    MONGO_DB: DB,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_PATH: proxies.hubspot.url("http"),
    HUBSPOT_CLIENT_SECRET: SECRET,
    COMMERCE_API_URL: commerce.url,
    RETRY_TIERS_MS: "200,1000,3000",
    RETRY_MAX_ATTEMPTS: "12",
    // A healed DAILY cap is found within seconds, not at the production default's minute.
    DAILY_PROBE_INTERVAL: "3"
  })
  const startReplica = async (name: string): Promise<Replica> => {
    const known = replicas.find((r) => r.name === name)
    const port = known?.port ?? freePort()
    const service = await startService(env(port), 60_000)
    const replica = known ?? { name, port, service }
    replica.service = service
    if (known === undefined) replicas.push(replica)
    route()
    return replica
  }
  const killReplica = async (replica: Replica) => {
    replica.service.process.kill(9)
    await replica.service.process.exited
    replicas.splice(replicas.indexOf(replica), 1)
    route()
  }
  const stop = async () => {
    for (const r of [...replicas]) await r.service.stop().catch(() => r.service.process.kill(9))
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
  }
  return {
    rabbit,
    ferret,
    proxies,
    hubspot,
    gate,
    commerce,
    replicas,
    webhookUrl,
    secret: SECRET,
    startReplica,
    killReplica,
    parked: () => storeRuntime.runPromise(Effect.flatMap(ParkedItems, (store) => store.list({}))),
    stop
  }
}
