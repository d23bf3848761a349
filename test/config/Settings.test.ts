// Configuration is read from the environment; every step can have its own retry policy.
import { expect, test } from "bun:test"
import { ConfigProvider, Effect } from "effect"
import * as Settings from "../../src/adapters/config/Settings.ts"

const read = (env: Record<string, string>) => Effect.runPromise(Settings.tunings.parse(ConfigProvider.fromEnv({ env })))

test("one policy for all steps, overridden per step by its name as a prefix", async () => {
  const tunings = await read({ RETRY_TIERS_MS: "100,200", RETRY_MAX_ATTEMPTS: "4", WRITE_BACK_IDS_RETRY_TIERS_MS: "500,5000", SYNC_COMMERCE_ENTITY_PREFETCH: "50" })
  expect(tunings["sync-crm-object"]).toEqual({ retryTiersMs: [100, 200], maxAttempts: 4, deliveryLimit: 5, prefetch: 10 })
  expect(tunings["write-back-ids"]).toEqual({ retryTiersMs: [500, 5000], maxAttempts: 4, deliveryLimit: 5, prefetch: 10 })
  expect(tunings["sync-commerce-entity"]).toEqual({ retryTiersMs: [100, 200], maxAttempts: 4, deliveryLimit: 5, prefetch: 50 })
})

test("with nothing set, every step gets the defaults", async () => {
  const tunings = await read({})
  expect(tunings["sync-crm-object"]).toEqual({ retryTiersMs: [1_000, 10_000, 60_000, 600_000], maxAttempts: 8, deliveryLimit: 5, prefetch: 10 })
})
