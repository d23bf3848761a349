// The HTTP side of the service: health and readiness, HubSpot's webhooks, metrics, OpenAPI and the
// admin API and page. Requests run their effects on the application's runtime, so its logger,
// tracer, clock and metrics apply inside them.
import { Effect, Layer, Option, Redacted } from "effect"
import { Hono } from "hono"
import { Gauge } from "prom-client"
import { OutboxSignal } from "../../application/OutboxSignal.ts"
import { MessageBus } from "../../application/ports/MessageBus.ts"
import { WebhookInbox } from "../../application/ports/WebhookInbox.ts"
import * as Settings from "../config/Settings.ts"
import { bearer } from "../http/AdminAuth.ts"
import * as AdminPage from "../http/AdminPage.tsx"
import * as AdminRoutes from "../http/AdminRoutes.ts"
import * as HealthRoutes from "../http/HealthRoutes.ts"
import * as HttpServer from "../http/HttpServer.ts"
import * as MetricsRoutes from "../http/MetricsRoutes.ts"
import * as OpenApi from "../http/OpenApi.ts"
import * as WebhookRoutes from "../http/WebhookRoutes.ts"
import type { PromMetrics } from "../metrics/PromMetrics.ts"
import { MongoDatabase } from "../mongo/MongoConnection.ts"

const registerPartitionsGauge = (metrics: PromMetrics, held: () => Promise<ReadonlyArray<number>>) => {
  const name = "crm_sync_partitions_held"
  if (metrics.registry.getSingleMetric(name) !== undefined) return
  new Gauge({
    name,
    help: "Partition indexes this replica holds (consumers attached)",
    registers: [metrics.registry],
    async collect() {
      this.set((await held()).length)
    }
  })
}

/** Behind the bearer token, or off (every /admin path 404s) when ADMIN_TOKEN is not set. */
const adminRoutes = Effect.fnUntraced(function* (config: Settings.Settings, stored: Effect.Effect<void>, checks: ReadonlyArray<HealthRoutes.ReadinessCheck>) {
  if (Option.isNone(config.adminToken)) {
    yield* Effect.logWarning("admin API and page are off: ADMIN_TOKEN is not set")
    return new Hono()
  }
  yield* Effect.logInfo("admin API on at /admin (bearer token from ADMIN_TOKEN)")
  const context = yield* Effect.context<AdminRoutes.AdminServices>()
  const run = Effect.runPromiseWith(context)
  const token = Redacted.value(config.adminToken.value)
  const routes = AdminRoutes.make({ run, budget: yield* Settings.budget, stored })
  const health = async () => Object.fromEntries(await Promise.all(checks.map(async ({ name, check }) => [name, await check().catch(() => false)] as const)))
  const page = AdminPage.make({ token, run, health })
  return new Hono().use("/admin/*", bearer(token)).route("/", routes).route("/", page)
})

export const layer = (config: Settings.Settings, metrics: PromMetrics, replica: string) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const bus = yield* MessageBus
      const signal = yield* OutboxSignal
      const mongo = yield* Effect.serviceOption(MongoDatabase)
      const run: WebhookRoutes.RunEffect = Effect.runPromiseWith(yield* Effect.context<never>())
      const webhooks = Option.match(config.webhook.clientSecret, {
        onNone: WebhookRoutes.unconfigured,
        onSome: (secret) =>
          WebhookRoutes.make(
            inbox,
            { ...config.webhook, clientSecret: Redacted.value(secret), publicUrl: Option.getOrUndefined(config.webhook.publicUrl) },
            signal.stored,
            run
          )
      })
      const ready = [
        { name: "store", check: () => run(Effect.as(inbox.backlog, true)) },
        { name: "bus", check: () => run(bus.ready) }
      ]
      // A wedged store client the watchdog cannot replace is a reason to restart the process.
      const live = Option.match(mongo, { onNone: () => [], onSome: (handle) => [{ name: "store-client", check: async () => handle.alive() }] })
      const admin = yield* adminRoutes(config, signal.notify, [...ready, ...live])
      // Which partitions this replica consumes (issue 12): in /readyz and as a gauge.
      const held = () => run(bus.held)
      registerPartitionsGauge(metrics, held)
      const details = async () => ({ replica, partitions: await held() })
      const app = new Hono()
        .route("/", admin)
        .route("/", HealthRoutes.make(ready, live, details))
        .route("/", webhooks)
        .route("/", MetricsRoutes.make(metrics.registry))
        .get("/openapi.json", (c) => c.json(OpenApi.document()))
        // A bug must not read as "bad input": 503 makes HubSpot retry instead of dropping events.
        .onError((error, c) => c.json({ error: error.message }, 503))
      return HttpServer.layer(app, config)
    })
  )
