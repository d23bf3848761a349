// Grant throughput of the HubSpot budget shared through the store (MONGO_URL, e.g. FerretDB):
// one or two replicas, each a LocalBudget over its own MongoRateBudget client, take tokens as fast
// as they are granted. Beside it, the same budget over the in-memory store: the ceiling the budget
// itself allows, measured in the same run. Usage: MONGO_URL=mongodb://127.0.0.1:27017 bun run bench:budget
import { Context, Effect, Layer } from "effect"
import { MongoClient } from "mongodb"
import * as InMemoryRateBudget from "../src/adapters/memory/InMemoryRateBudget.ts"
import * as MongoRateBudget from "../src/adapters/mongo/MongoRateBudget.ts"
import * as BudgetPolicy from "../src/application/BudgetPolicy.ts"
import * as LocalBudget from "../src/application/LocalBudget.ts"
import { RateBudget } from "../src/application/ports/RateBudget.ts"

const url = process.env.MONGO_URL
if (url === undefined) throw new Error("MONGO_URL is unset: the bench measures the budget shared through a real store")
const seconds = Number(process.env.BENCH_SECONDS ?? 12)
const fibers = 20
const dbName = `crm_sync_bench_budget_${Date.now().toString(36)}`

const budgetOf = (store: Layer.Layer<RateBudget, unknown>, config: BudgetPolicy.BudgetConfig) =>
  Effect.map(Layer.build(LocalBudget.layer(config).pipe(Layer.provide(store))), (context) => Context.get(context, LocalBudget.LocalBudget))

/** Takes live tokens on `fibers` fibers per replica for `seconds`, then stops them all. */
const hammer = (replicas: ReadonlyArray<LocalBudget.LocalBudget["Service"]>) =>
  Effect.gen(function* () {
    let granted = 0
    const loop = (budget: LocalBudget.LocalBudget["Service"]) => Effect.forever(Effect.map(budget.take("live", 1), () => granted++))
    yield* Effect.all(
      replicas.flatMap((r) => Array.from({ length: fibers }, () => loop(r))),
      { concurrency: "unbounded" }
    ).pipe(Effect.timeoutOption(seconds * 1000))
    return granted
  })

const scenario = (replicaCount: number, burst: number, intervalMs: number) =>
  Effect.gen(function* () {
    const config: BudgetPolicy.BudgetConfig = { burst, intervalMs, daily: 100_000_000, backfillShare: 0.5, timeZone: "UTC" }
    const plan = BudgetPolicy.plan(config)
    const planned = (plan.slots * plan.capacity * 1000) / intervalMs

    const memory = Effect.runSync(InMemoryRateBudget.make(config))
    const shared = Layer.succeed(RateBudget, memory)
    const ceiling = yield* hammer(yield* Effect.forEach(Array.from({ length: replicaCount }), () => budgetOf(shared, config)))

    const clients = Array.from({ length: replicaCount }, () => new MongoClient(url, { monitorCommands: true }))
    yield* Effect.promise(() => Promise.all(clients.map((c) => c.connect())))
    const replicas = yield* Effect.forEach(clients, (c) => budgetOf(Layer.effect(RateBudget, MongoRateBudget.make(config, c.db(dbName))), config))
    let ops = 0
    for (const c of clients) c.on("commandStarted", (e) => e.commandName === "endSessions" || ops++)
    const takes = yield* hammer(replicas)
    const counted = ops
    yield* Effect.promise(() => Promise.all(clients.map((c) => c.close())))

    const perSecond = (n: number) => (n / seconds).toFixed(1).padStart(8)
    console.log(
      `${replicaCount} × burst ${String(burst).padStart(7)}/${intervalMs / 1000}s │ planned ${planned.toFixed(1).padStart(8)}/s │ memory store ${perSecond(ceiling)} takes/s │ ` +
        `FerretDB ${perSecond(takes)} takes/s (${((100 * takes) / Math.max(1, ceiling)).toFixed(0).padStart(3)} % of memory) │ ` +
        `${counted} store ops, ${(counted / Math.max(1, takes)).toFixed(4)} per take, ${(counted / seconds).toFixed(1)} ops/s`
    )
  }).pipe(Effect.scoped)

const main = Effect.gen(function* () {
  console.log(`replicas × ${fibers} fibers taking live tokens for ${seconds} s each run, store ${url}`)
  for (const [replicas, burst] of [
    [1, 100],
    [2, 100],
    [2, 190],
    [2, 1_000_000]
  ] as const)
    yield* scenario(replicas, burst, 10_000)
  const client = new MongoClient(url)
  yield* Effect.promise(() =>
    client
      .connect()
      .then(() => client.db(dbName).dropDatabase())
      .finally(() => client.close())
  )
})

Effect.runPromise(main).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
