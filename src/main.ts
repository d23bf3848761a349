// The composition root: reads configuration, picks the adapters, launches the service.
import { Effect, Layer, Logger, Option, Redacted } from "effect"
import { Hono } from "hono"
import { OutboxSignal } from "./application/OutboxSignal.ts"
import { relayLayer } from "./application/RelayOutbox.ts"
import { WebhookInbox } from "./application/ports/WebhookInbox.ts"
import * as SyncWorkers from "./application/SyncWorkers.ts"
import * as Settings from "./adapters/config/Settings.ts"
import * as CommerceRestApi from "./adapters/commerce/CommerceRestApi.ts"
import * as HubSpotCrm from "./adapters/hubspot/HubSpotCrm.ts"
import * as HealthRoutes from "./adapters/http/HealthRoutes.ts"
import * as HttpServer from "./adapters/http/HttpServer.ts"
import * as WebhookRoutes from "./adapters/http/WebhookRoutes.ts"
import * as InMemoryBus from "./adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "./adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "./adapters/memory/InMemoryCrm.ts"
import * as InMemoryRateBudget from "./adapters/memory/InMemoryRateBudget.ts"
import * as InMemorySyncStore from "./adapters/memory/InMemorySyncStore.ts"
import * as InMemoryWebhookInbox from "./adapters/memory/InMemoryWebhookInbox.ts"
import * as MongoConnection from "./adapters/mongo/MongoConnection.ts"
import * as MongoRateBudget from "./adapters/mongo/MongoRateBudget.ts"
import * as MongoSyncStore from "./adapters/mongo/MongoSyncStore.ts"
import * as MongoWebhookInbox from "./adapters/mongo/MongoWebhookInbox.ts"
import { runMain } from "./adapters/process/RunMain.ts"
import * as RabbitMqBus from "./adapters/rabbitmq/RabbitMqBus.ts"

const adapters = (config: Settings.Settings) =>
  Effect.gen(function* () {
    const budget = yield* Settings.budget
    const tunings = yield* Settings.tunings
    const mongo = Option.isSome(config.mongoUrl) ? Option.some(yield* MongoConnection.config) : Option.none()
    const store = Option.match(mongo, { onNone: () => InMemorySyncStore.layer, onSome: MongoSyncStore.layer })
    const inbox = Option.match(mongo, { onNone: () => InMemoryWebhookInbox.layer, onSome: MongoWebhookInbox.layer })
    const rateBudget = Option.match(mongo, { onNone: () => InMemoryRateBudget.layer(budget), onSome: (m) => MongoRateBudget.layer(m, budget) })
    const bus = Option.isSome(config.amqpUrl) ? RabbitMqBus.layerConfig(SyncWorkers.steps(tunings)) : InMemoryBus.layer
    const crm = Option.isSome(config.hubspotToken) ? HubSpotCrm.layerConfig({ timeZone: budget.timeZone }) : InMemoryCrm.layer()
    const commerce = Option.isSome(config.commerceApiUrl) ? CommerceRestApi.layerConfig : InMemoryCommerceApi.layer()
    return Layer.mergeAll(bus, crm.pipe(Layer.provideMerge(rateBudget)), commerce).pipe(Layer.provideMerge(Layer.merge(store, inbox)))
  })

const http = (config: Settings.Settings) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const signal = yield* OutboxSignal
      const webhooks = Option.match(config.webhook.clientSecret, {
        onNone: WebhookRoutes.unconfigured,
        onSome: (secret) =>
          WebhookRoutes.make(inbox, { ...config.webhook, clientSecret: Redacted.value(secret), publicUrl: Option.getOrUndefined(config.webhook.publicUrl) }, signal.notify)
      })
      const ready = { name: "store", check: () => Effect.runPromise(Effect.as(inbox.backlog, true)) }
      const app = new Hono()
        .route("/", HealthRoutes.make([ready]))
        .route("/", webhooks)
        // A bug must not read as "bad input": 503 makes HubSpot retry instead of dropping events.
        .onError((error, c) => c.json({ error: error.message }, 503))
      return HttpServer.layer(app, config)
    })
  )

const App = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* Settings.settings
    const embedded = Option.isNone(config.amqpUrl) && Option.isNone(config.mongoUrl)
    yield* Effect.logInfo(
      embedded
        ? "crm-sync starting with embedded in-memory adapters (no AMQP_URL or MONGO_URL set): nothing is kept across restarts"
        : `crm-sync starting with ${Option.isSome(config.amqpUrl) ? "RabbitMQ" : "an in-memory bus"} and ${Option.isSome(config.mongoUrl) ? "MongoDB" : "an in-memory store"}`
    )
    yield* Effect.logInfo(
      `CRM: ${Option.isSome(config.hubspotToken) ? "HubSpot" : "in-memory (no HUBSPOT_ACCESS_TOKEN)"}; commerce API: ${Option.isSome(config.commerceApiUrl) ? "REST" : "in-memory (no COMMERCE_API_URL)"}`
    )
    const workers = Layer.mergeAll(SyncWorkers.layer(yield* Settings.tunings), relayLayer({ claimant: crypto.randomUUID(), batchSize: 1000, leaseMs: 30_000, idleMs: 1000 }))
    return Layer.mergeAll(http(config), workers).pipe(Layer.provide(Layer.merge(yield* adapters(config), OutboxSignal.layer)))
  })
)

App.pipe(Layer.launch, Effect.provide(Logger.layer([Logger.consoleJson])), runMain)
