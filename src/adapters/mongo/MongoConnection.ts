// One self-healing MongoClient per layer, as a scoped resource: connected at start-up, watched
// while the service runs, closed on shutdown.
//
// Why self-healing: after the MongoDB-wire server restarts, the driver (under Bun) can stay wedged
// for good: every operation fails with "connection N to … closed" while a fresh client connects at
// once (reproduced against FerretDB killed with -9 and restarted). So a watchdog pings the server;
// when our client keeps failing and a fresh one connects, the fresh one takes over. The adapters
// hold a proxy `Db` whose collections always reach the current client, so nothing else changes.
import { Config, Context, Duration, Effect, Layer, Schedule, Schema } from "effect"
import { type Collection, type Db, MongoClient } from "mongodb"
import { describe } from "./MongoErrors.ts"

export interface MongoOptions {
  readonly url: string
  readonly dbName: string
  /**
   * Short on purpose: with the server down an operation fails in this long instead of the
   * driver's 30 s default, so the webhook can answer 503 quickly (reliability F5).
   */
  readonly timeoutMs?: number
  /** How often the watchdog pings the server (default 1 s). */
  readonly watchMs?: number
}

export class MongoConnectionError extends Schema.TaggedError<MongoConnectionError>()("MongoConnectionError", {
  message: Schema.String
}) {}

export const defaultTimeoutMs = 2000
/** Failed pings in a row before a fresh client is tried. */
const FAILURES_BEFORE_FRESH = 3
/** Failed pings in a row, with fresh clients connecting, after which the process is not alive. */
const FAILURES_UNTIL_DEAD = 30

/** MONGO_URL, MONGO_DB (default "crm-sync"), MONGO_TIMEOUT_MS (default 2000). */
export const config: Config.Config<MongoOptions> = Config.all({
  url: Config.String("MONGO_URL"),
  dbName: Config.String("MONGO_DB").pipe(Config.withDefault("crm-sync")),
  timeoutMs: Config.Int("MONGO_TIMEOUT_MS").pipe(Config.withDefault(defaultTimeoutMs))
})

const newClient = (options: MongoOptions) => {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  return new MongoClient(options.url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, socketTimeoutMS: timeoutMs * 5 })
}

const connect = (options: MongoOptions) =>
  Effect.tryPromise({ try: () => newClient(options).connect(), catch: (error) => new MongoConnectionError({ message: describe(error) }) })

const ping = (client: MongoClient, options: MongoOptions) =>
  Effect.tryPromise(() => client.db(options.dbName).command({ ping: 1 })).pipe(
    Effect.timeout(Duration.millis(options.timeoutMs ?? defaultTimeoutMs)),
    Effect.match({ onFailure: () => false, onSuccess: () => true })
  )

const closeQuietly = (client: MongoClient) => Effect.promise(() => client.close(true).catch(() => undefined))

/**
 * A `Db` whose collections resolve against whichever client is current at each call. The `Db` and
 * its `Collection`s are made once per client, not per call: the driver resolves their options
 * afresh in each constructor (`resolveBSONOptions`), which was ~3 % of the service's CPU in a
 * backfill when every store operation built new ones.
 */
const proxyDb = (current: () => MongoClient, dbName: string): Db => {
  let owner: MongoClient | undefined
  let db: Db | undefined
  const collections = new Map<string, Collection>()
  const currentDb = (): Db => {
    const client = current()
    if (client !== owner || db === undefined) {
      owner = client
      db = client.db(dbName)
      collections.clear()
    }
    return db
  }
  const currentCollection = (name: string): Collection => {
    const real = currentDb()
    const known = collections.get(name)
    if (known !== undefined) return known
    const made = real.collection(name)
    collections.set(name, made)
    return made
  }
  const collection = (name: string) =>
    new Proxy({} as Collection, {
      get: (_, property) => {
        const real = currentCollection(name)
        const value = Reflect.get(real, property, real)
        return typeof value === "function" ? value.bind(real) : value
      }
    })
  return new Proxy({} as Db, {
    get: (_, property) => {
      if (property === "collection") return collection
      const real = currentDb()
      const value = Reflect.get(real, property, real)
      return typeof value === "function" ? value.bind(real) : value
    }
  })
}

export interface MongoHandle {
  readonly db: Db
  /** False when our client has been failing for long while fresh clients connect: restart us. */
  readonly alive: () => boolean
  /** Fresh clients that took over from a wedged one. */
  readonly replacements: () => number
}

/** Connects, starts the watchdog, and closes whichever client is current when the scope ends. */
export const acquireHandle = (options: MongoOptions) =>
  Effect.gen(function* () {
    let client = yield* connect(options)
    let failures = 0
    let wedged = 0
    let replacements = 0
    yield* Effect.addFinalizer(() => closeQuietly(client))
    const watch = Effect.gen(function* () {
      if (yield* ping(client, options)) {
        failures = 0
        wedged = 0
        return
      }
      failures++
      if (failures < FAILURES_BEFORE_FRESH) return
      const fresh = yield* Effect.option(connect(options))
      if (fresh._tag === "None") return // the server is down, not our client: nothing to replace
      wedged++
      const old = client
      client = fresh.value
      replacements++
      failures = 0
      yield* Effect.logWarning("store client replaced: the old one kept failing while a fresh one connected", { replacements })
      yield* Effect.forkDetach(closeQuietly(old))
    })
    yield* Effect.forkScoped(Effect.repeat(watch, Schedule.spaced(Duration.millis(options.watchMs ?? 1000))))
    return {
      db: proxyDb(() => client, options.dbName),
      alive: () => wedged < FAILURES_UNTIL_DEAD,
      replacements: () => replacements
    } satisfies MongoHandle
  })

/** The process's one connection to the store, shared by every Mongo adapter. */
export class MongoDatabase extends Context.Service<MongoDatabase, MongoHandle>()("crm-sync/adapters/mongo/MongoDatabase") {
  static readonly layer = (options: MongoOptions) => Layer.effect(MongoDatabase, acquireHandle(options))
}

/** One connected database shared by every store port's Mongo layer (one client per process). */
export class MongoDb extends Context.Service<MongoDb, Db>()("crm-sync/adapters/mongo/MongoDb") {}

/** The shared database and its handle (for liveness), from one self-healing client. */
export const dbLayer = (options: MongoOptions): Layer.Layer<MongoDb | MongoDatabase, MongoConnectionError> =>
  Layer.effect(
    MongoDb,
    Effect.gen(function* () {
      return (yield* MongoDatabase).db
    })
  ).pipe(Layer.provideMerge(MongoDatabase.layer(options)))
