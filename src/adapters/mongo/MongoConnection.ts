// One MongoClient per layer, as a scoped resource: connected at start-up, closed on shutdown.
import { Config, Context, Effect, Layer, Schema } from "effect"
import { type Db, MongoClient } from "mongodb"
import { describe } from "./MongoErrors.ts"

export interface MongoOptions {
  readonly url: string
  readonly dbName: string
  /**
   * Short on purpose: with the server down an operation fails in this long instead of the
   * driver's 30 s default, so the webhook can answer 503 quickly (reliability F5).
   */
  readonly timeoutMs?: number
}

export class MongoConnectionError extends Schema.TaggedError<MongoConnectionError>()("MongoConnectionError", {
  message: Schema.String
}) {}

export const defaultTimeoutMs = 2000

/** MONGO_URL, MONGO_DB (default "crm-sync"), MONGO_TIMEOUT_MS (default 2000). */
export const config: Config.Config<MongoOptions> = Config.all({
  url: Config.String("MONGO_URL"),
  dbName: Config.String("MONGO_DB").pipe(Config.withDefault("crm-sync")),
  timeoutMs: Config.Int("MONGO_TIMEOUT_MS").pipe(Config.withDefault(defaultTimeoutMs))
})

const connect = (options: MongoOptions) => {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs * 5
  })
  return Effect.tryPromise({
    try: () => client.connect(),
    catch: (error) => new MongoConnectionError({ message: describe(error) })
  })
}

export const acquire = (options: MongoOptions) =>
  Effect.acquireRelease(connect(options), (client) => Effect.promise(() => client.close())).pipe(
    Effect.map((client): Db => client.db(options.dbName))
  )

/** One connected database shared by every store port's Mongo layer (one client per process). */
export class MongoDb extends Context.Service<MongoDb, Db>()("crm-sync/adapters/mongo/MongoDb") {}

export const dbLayer = (options: MongoOptions): Layer.Layer<MongoDb, MongoConnectionError> => Layer.effect(MongoDb, acquire(options))
