// Picks an adapter for every port from the configuration: the real one where its URL or token is
// set, the embedded in-memory one otherwise.
import { Effect, Layer, Option, Redacted } from "effect"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import * as LocalBudget from "../../application/LocalBudget.ts"
import { OutboxSignal } from "../../application/OutboxSignal.ts"
import type { Step } from "../../application/Step.ts"
import * as CommerceRestApi from "../commerce/CommerceRestApi.ts"
import * as Settings from "../config/Settings.ts"
import * as HubSpotCrm from "../hubspot/HubSpotCrm.ts"
import * as InMemoryBus from "../memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../memory/InMemoryCrm.ts"
import type * as MongoConnection from "../mongo/MongoConnection.ts"
import * as RabbitMqBus from "../rabbitmq/RabbitMqBus.ts"
import { storeLayers } from "./StoreLayers.ts"

export const describeAdapters = (config: Settings.Settings): ReadonlyArray<string> => {
  const embedded = Option.isNone(config.amqpUrl) && Option.isNone(config.mongoUrl)
  return [
    embedded
      ? "crm-sync starting with embedded in-memory adapters (no AMQP_URL or MONGO_URL set): nothing is kept across restarts"
      : `crm-sync starting with ${Option.isSome(config.amqpUrl) ? "RabbitMQ" : "an in-memory bus"} and ${Option.isSome(config.mongoUrl) ? "MongoDB" : "an in-memory store"}`,
    `CRM: ${Option.isSome(config.hubspotToken) ? "HubSpot" : "in-memory (no HUBSPOT_ACCESS_TOKEN)"}; commerce API: ${Option.isSome(config.commerceApiUrl) ? "REST" : "in-memory (no COMMERCE_API_URL)"}`
  ]
}

/** Every setting comes from `Settings`, read once. The steps declare the broker's topology before anything consumes. */
export const layer = (config: Settings.Settings, steps: ReadonlyArray<Step>, replica?: string) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const budget = yield* Settings.budget
      const mongo = Option.map(
        config.mongoUrl,
        (url): MongoConnection.MongoOptions => ({ url: Redacted.value(url), dbName: config.mongoDb, timeoutMs: config.mongoTimeoutMs })
      )
      const stores = storeLayers(mongo, budget)
      const bus = Option.match(config.amqpUrl, {
        onNone: () => InMemoryBus.layerWith(config.partitions),
        // A replica starts holding no partition: PartitionOwnership assigns its share.
        onSome: (url) =>
          RabbitMqBus.layer({
            url: Redacted.value(url),
            prefix: config.amqpPrefix,
            steps,
            partitions: config.partitions,
            owned: [],
            ...(replica === undefined ? {} : { replica })
          })
      })
      const crm = Option.match(config.hubspotToken, {
        onNone: () => InMemoryCrm.layer(),
        onSome: (accessToken) =>
          HubSpotCrm.layer({
            accessToken,
            basePath: config.hubspotBasePath,
            timeZone: budget.timeZone,
            dailyProbeMs: budget.dailyProbeMs ?? BudgetPolicy.DEFAULT_DAILY_PROBE_MS
          })
      })
      const commerce = Option.match(config.commerceApiUrl, {
        onNone: () => InMemoryCommerceApi.layer(),
        onSome: (baseUrl) =>
          CommerceRestApi.layer({
            baseUrl,
            timeoutMs: config.commerceApiTimeoutMs,
            ...Option.match(config.commerceApiToken, { onNone: () => ({}), onSome: (token) => ({ token }) })
          })
      })
      return Layer.mergeAll(bus, crm.pipe(Layer.provide(LocalBudget.layer(budget))), commerce, OutboxSignal.layer).pipe(Layer.provideMerge(stores))
    })
  )
