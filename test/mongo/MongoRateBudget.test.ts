import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { MongoClient } from "mongodb"
import * as MongoRateBudget from "../../src/adapters/mongo/MongoRateBudget.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { RateBudget } from "../../src/application/ports/RateBudget.ts"
import type { ContactId } from "../../src/domain/Ids.ts"
import { rateBudgetContract } from "../contract/RateBudget.contract.ts"
import { adapterLayer, runWith } from "../hubspot-adapter/AdapterSupport.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("MongoRateBudget on a real server", (url) => {
  rateBudgetContract("mongo", (config) => {
    const dbName = freshDbName()
    return { replica: () => Layer.fresh(MongoRateBudget.layer({ url, dbName }, config)) }
  })

  let sim: HubSpotSimulator
  beforeAll(async () => {
    sim = await startHubSpotSimulator({ port: 0, burstLimit: 1000, burstIntervalMs: 10_000 })
  })
  afterAll(() => sim.stop())

  test("N HubSpot calls cost at most N/10 store operations, and HubSpot never answers 429", async () => {
    // Slots of 1.1 s as in production, holding 100 calls so the budget does not bind here.
    const config = { burst: 1000, intervalMs: 10_000, daily: 1_000_000, backfillShare: 0.5, timeZone: "UTC" }
    const client = new MongoClient(url, { monitorCommands: true })
    await client.connect()
    const ops: Array<string> = []
    const store = Layer.effect(RateBudget, MongoRateBudget.make(config, client.db(freshDbName())))
    const budget = LocalBudget.layer(config).pipe(Layer.provide(store))
    client.on("commandStarted", (event) => event.commandName === "endSessions" || ops.push(event.commandName))
    const n = 200
    const read = Effect.flatMap(Effect.service(Crm), (crm) => crm.read("contact", ["1" as ContactId]))
    // Counted from the first call: the index set-up at start is not a per-call cost.
    const calls = Effect.andThen(
      Effect.sync(() => ops.splice(0)),
      Effect.all(
        Array.from({ length: n }, () => read),
        { concurrency: 20 }
      )
    )
    try {
      await runWith(adapterLayer(sim, {}, budget))(calls)
    } finally {
      await client.close()
    }
    expect(sim.requestLog().filter((r) => r.status === 429)).toEqual([])
    expect(ops.length).toBeGreaterThan(0)
    console.log(`${n} HubSpot calls: ${ops.length} store operations (${ops.join(", ")})`)
    expect(ops.length).toBeLessThanOrEqual(n / 10)
  }, 30_000)
})
