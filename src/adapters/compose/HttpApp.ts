// The HTTP side of the service: health and readiness, HubSpot's webhooks, metrics. Requests run their
// effects on the application's runtime, so its logger, tracer and clock apply inside them.
import { Effect, Layer, Option, Redacted } from "effect"
import { Hono } from "hono"
import { OutboxSignal } from "../../application/OutboxSignal.ts"
import { MessageBus } from "../../application/ports/MessageBus.ts"
import { WebhookInbox } from "../../application/ports/WebhookInbox.ts"
import type * as Settings from "../config/Settings.ts"
import * as HealthRoutes from "../http/HealthRoutes.ts"
import * as HttpServer from "../http/HttpServer.ts"
import * as MetricsRoutes from "../http/MetricsRoutes.ts"
import type { PromMetrics } from "../metrics/PromMetrics.ts"
import * as WebhookRoutes from "../http/WebhookRoutes.ts"
import { MongoDatabase } from "../mongo/MongoConnection.ts"

export const layer = (config: Settings.Settings, metrics: PromMetrics) =>
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
          WebhookRoutes.make(inbox, { ...config.webhook, clientSecret: Redacted.value(secret), publicUrl: Option.getOrUndefined(config.webhook.publicUrl) }, signal.notify, run)
      })
      const ready = [
        { name: "store", check: () => run(Effect.as(inbox.backlog, true)) },
        { name: "bus", check: () => run(bus.ready) }
      ]
      // A wedged store client the watchdog cannot replace is a reason to restart the process.
      const live = Option.match(mongo, { onNone: () => [], onSome: (handle) => [{ name: "store-client", check: async () => handle.alive() }] })
      const app = new Hono()
        .route("/", HealthRoutes.make(ready, live))
        .route("/", webhooks)
        .route("/", MetricsRoutes.make(metrics.registry))
        // A bug must not read as "bad input": 503 makes HubSpot retry instead of dropping events.
        .onError((error, c) => c.json({ error: error.message }, 503))
      return HttpServer.layer(app, config)
    })
  )
