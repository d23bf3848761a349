// Issue: after the MongoDB-wire server restarts, the driver could stay wedged for good ("connection
// N to … closed" on every call while a fresh client connects at once). The connection must heal.
import { afterAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Scope } from "effect"
import { acquireHandle, type MongoHandle } from "../../src/adapters/mongo/MongoConnection.ts"
import { mongoUrl } from "../support/mongo/MongoTestEnv.ts"
import { type PrivateFerretDb, privateFerretDbAvailable, startPrivateFerretDb } from "../support/mongo/PrivateFerretDb.ts"

const required = process.env.REQUIRE_SERVICES === "1"

describe.skipIf(!privateFerretDbAvailable && !required && mongoUrl === undefined)("store connection across a server restart", () => {
  let server: PrivateFerretDb | undefined
  const scope = Effect.runSync(Scope.make())
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await server?.dispose()
  }, 30_000)

  const insertWithin = async (handle: MongoHandle, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const ok = await handle.db
        .collection("probe")
        .insertOne({ at: Date.now() })
        .then(
          () => true,
          () => false
        )
      if (ok) return true
      await Bun.sleep(200)
    }
    return false
  }

  test("operations succeed again after FerretDB is killed with -9 and restarted (twice)", async () => {
    expect(privateFerretDbAvailable).toBe(true)
    server = await startPrivateFerretDb()
    const handle = await Effect.runPromise(Scope.provide(scope)(acquireHandle({ url: server.url, dbName: "restart", timeoutMs: 2000, watchMs: 200 })))
    for (let cycle = 0; cycle < 2; cycle++) {
      // Steady load before, during and after the crash, as the service would have.
      let loading = true
      const load = (async () => {
        while (loading)
          await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              handle.db
                .collection("probe")
                .insertOne({ cycle, i })
                .catch(() => undefined)
            )
          )
      })()
      await Bun.sleep(500)
      await server.kill()
      await Bun.sleep(2000)
      await server.start()
      const healed = await insertWithin(handle, 15_000)
      loading = false
      await load
      expect(healed).toBe(true)
      expect(handle.alive()).toBe(true)
    }
  }, 90_000)
})
