import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as MongoRateBudget from "../../src/adapters/mongo/MongoRateBudget.ts"
import { RateBudget } from "../../src/application/ports/RateBudget.ts"
import { budgetConfig, granted, rateBudgetContract, slotStart, takeMany } from "../contract/RateBudget.contract.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoRateBudget on a real server", (url) => {
  rateBudgetContract("mongo", (config) => MongoRateBudget.layer({ url, dbName: freshDbName() }, config))

  test("two replicas (two clients, one database) together never exceed a slot", async () => {
    const dbName = freshDbName()
    const replica = () => Layer.fresh(MongoRateBudget.layer({ url, dbName }, budgetConfig))
    const takeAll = (now: number) => Effect.gen(function* () {
      return yield* takeMany(yield* RateBudget, "live", 50, now)
    })
    const [a, b] = await Effect.runPromise(
      Effect.all([Effect.provide(takeAll(slotStart()), replica()), Effect.provide(takeAll(slotStart()), replica())], { concurrency: 2 })
    )
    expect(granted([...a, ...b])).toBe(2)
  })
})
