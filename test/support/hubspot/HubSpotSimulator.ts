// A HubSpot REST API + webhook simulator the real @hubspot/api-client can talk to.
import { accountRoutes, adminRoutes, type LoggedRequest } from "./AdminRoutes.ts"
import { associationRoutes } from "./AssociationRoutes.ts"
import { batchRoutes } from "./BatchRoutes.ts"
import { type CrmUi, crmUi } from "./CrmUi.ts"
import { FaultInjector } from "./FaultInjector.ts"
import type { Faults } from "./Faults.ts"
import { startHttpServer } from "./HttpServer.ts"
import { objectRoutes } from "./ObjectRoutes.ts"
import { propertyRoutes } from "./PropertyRoutes.ts"
import { RateLimiter } from "./RateLimiter.ts"
import { handle } from "./RequestPipeline.ts"
import { searchRoutes } from "./SearchRoutes.ts"
import type { SimContext } from "./SimContext.ts"
import { SimStore } from "./SimStore.ts"
import { toWebhookEvent, type WebhookEvent } from "./WebhookEvents.ts"
import { type WebhookOptions, WebhookSender } from "./WebhookSender.ts"

export interface SimulatorOptions {
  port?: number
  accessToken?: string
  burstLimit?: number
  burstIntervalMs?: number
  dailyLimit?: number
  searchPerSecond?: number
  /** Delay before a write shows up in search results (HubSpot indexes asynchronously). */
  searchIndexDelayMs?: number
  portalId?: number
  webhook?: WebhookOptions
  faults?: Partial<Faults>
}

export interface HubSpotSimulator {
  readonly url: string
  readonly port: number
  readonly state: SimStore
  readonly ui: CrmUi
  readonly webhooks: WebhookSender | undefined
  /** Every event generated so far, whether or not a webhook URL is configured. */
  readonly events: WebhookEvent[]
  stop(): Promise<void>
  reset(): void
  /** Starts HubSpot's next day now: the daily count goes back to 0 (also POST /__sim/day/reset). */
  resetDay(): void
  /** Changes the daily cap from now on. */
  setDailyLimit(dailyLimit: number): void
  setFaults(f: Partial<Faults>): void
  requestLog(): LoggedRequest[]
  flushWebhooks(): Promise<void>
  /** Hung requests (the hang fault) whose client has not closed the connection yet. */
  openHangs(): number
}

const limiterFor = (o: SimulatorOptions) =>
  new RateLimiter({
    burstLimit: o.burstLimit ?? 190,
    burstIntervalMs: o.burstIntervalMs ?? 10_000,
    dailyLimit: o.dailyLimit ?? 1_000_000,
    searchPerSecond: o.searchPerSecond ?? 5
  })

const wireEvents = (store: SimStore, o: SimulatorOptions, sender: WebhookSender | undefined, events: WebhookEvent[]) => {
  const identity = { portalId: o.webhook?.portalId ?? o.portalId ?? 62_515, appId: o.webhook?.appId ?? 1_234_567 }
  let eventId = 1_000
  store.onChange((change) => {
    const event = toWebhookEvent(change, eventId++, identity, store.now())
    events.push(event)
    sender?.enqueue(event)
  })
}

export const startHubSpotSimulator = async (options: SimulatorOptions = {}): Promise<HubSpotSimulator> => {
  const store = new SimStore()
  const faults = new FaultInjector()
  if (options.faults !== undefined) faults.set(options.faults)
  const limiter = limiterFor(options)
  const ctx: SimContext = { store, faults, limiter, portalId: options.portalId ?? 62_515, searchIndexDelayMs: options.searchIndexDelayMs ?? 0 }
  const sender = options.webhook === undefined ? undefined : new WebhookSender(options.webhook)
  const events: WebhookEvent[] = []
  wireEvents(store, options, sender, events)
  const log: LoggedRequest[] = []
  const ui = crmUi(store)
  const reset = () => {
    store.reset()
    limiter.reset()
    faults.reset()
    log.length = 0
    events.length = 0
  }
  const flushWebhooks = () => sender?.flush() ?? Promise.resolve()
  const setFaults = (f: Partial<Faults>) => faults.set(f)
  const resetDay = () => limiter.resetDay()
  const hooks = { requestLog: () => [...log], reset, resetDay, setFaults, flushWebhooks, ui }
  const pipeline = {
    adminRoutes: adminRoutes(ctx, hooks),
    apiRoutes: [...batchRoutes(ctx), ...searchRoutes(ctx), ...objectRoutes(ctx), ...propertyRoutes(ctx), ...associationRoutes(ctx), ...accountRoutes(ctx)],
    faults,
    limiter,
    accessToken: options.accessToken ?? "test-token"
  }
  const { server, port, hanging } = await startHttpServer(
    options.port ?? 0,
    (req) => handle(pipeline, req),
    (req, status, startedAt) => {
      if (req.path.startsWith("/__sim/")) return
      log.push({
        method: req.method,
        path: req.path,
        query: req.query.toString(),
        status,
        time: new Date(startedAt).toISOString(),
        durationMs: Date.now() - startedAt,
        body: req.body
      })
    }
  )
  const stop = async () => {
    sender?.stop()
    for (const res of hanging) res.socket?.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  /** Hung requests whose client has not closed the connection yet. */
  const openHangs = () => [...hanging].filter((res) => res.socket !== null && !res.socket.destroyed).length
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state: store,
    ui,
    webhooks: sender,
    events,
    stop,
    reset,
    resetDay,
    setDailyLimit: (dailyLimit: number) => limiter.setDailyLimit(dailyLimit),
    setFaults,
    requestLog: () => [...log],
    flushWebhooks,
    openHangs
  }
}
