// The composition root: reads configuration, picks the adapters, launches the service.
import { Config, Effect, Layer, Logger, Option, Redacted } from "effect"
import * as HealthRoutes from "./adapters/http/HealthRoutes.ts"
import * as HttpServer from "./adapters/http/HttpServer.ts"
import * as InMemoryCommerceApi from "./adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "./adapters/memory/InMemoryCrm.ts"
import * as InMemorySyncStore from "./adapters/memory/InMemorySyncStore.ts"
import { runMain } from "./adapters/process/RunMain.ts"

/** An unset or empty variable means "not configured". */
const optionalUrl = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(Config.map(Option.filter((url) => Redacted.value(url).trim() !== "")))

const settings = Config.all({
  // 0 picks a free port (tests); Config.Port would refuse it.
  port: Config.Int("PORT").pipe(Config.withDefault(3000)),
  hostname: Config.String("HOST").pipe(Config.withDefault("0.0.0.0")),
  amqpUrl: optionalUrl("AMQP_URL"),
  mongoUrl: optionalUrl("MONGO_URL")
})

const Embedded = Layer.mergeAll(InMemorySyncStore.layer, InMemoryCrm.layer(), InMemoryCommerceApi.layer())

const App = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* settings
    const embedded = Option.isNone(config.amqpUrl) && Option.isNone(config.mongoUrl)
    yield* Effect.logInfo(
      embedded
        ? "crm-sync starting with embedded in-memory adapters (no AMQP_URL or MONGO_URL set): nothing is kept across restarts"
        : "crm-sync starting with external services"
    )
    const http = HttpServer.layer(HealthRoutes.make([]), config)
    return Layer.mergeAll(http, Embedded)
  })
)

App.pipe(Layer.launch, Effect.provide(Logger.layer([Logger.consoleJson])), runMain)
