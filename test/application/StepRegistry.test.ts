// Each step is declared once; its tuning is read from the environment, shared values overridden
// per step by its name as a prefix.
import { expect, test } from "bun:test"
import { ConfigProvider, Effect } from "effect"
import { registeredSteps, withTuning } from "../../src/application/StepRegistry.ts"

const read = async (env: Record<string, string>) => {
  const registered = await Effect.runPromise(registeredSteps.parse(ConfigProvider.fromEnv({ env })))
  return Object.fromEntries(registered.map(({ step: { name, bindings, partitionKeyOf, ...tuning } }) => [name, tuning]))
}

test("one policy for all steps, overridden per step by its name as a prefix", async () => {
  const tunings = await read({
    RETRY_TIERS_MS: "100,200",
    RETRY_MAX_ATTEMPTS: "4",
    WRITE_BACK_IDS_RETRY_TIERS_MS: "500,5000",
    SYNC_COMMERCE_ENTITY_PREFETCH: "50"
  })
  expect(tunings["sync-crm-object"]).toEqual({ retryTiersMs: [100, 200], maxAttempts: 4, deliveryLimit: 5, prefetch: 100 })
  // The write-back gathers larger batches for longer by default (one update call per 100 ids).
  expect(tunings["write-back-ids"]).toEqual({
    retryTiersMs: [500, 5000],
    maxAttempts: 4,
    deliveryLimit: 5,
    prefetch: 500,
    batchWindowMs: 200,
    backfillBatchWindowMs: 1000
  })
  expect(tunings["sync-commerce-entity"]).toEqual({ retryTiersMs: [100, 200], maxAttempts: 4, deliveryLimit: 5, prefetch: 50 })
})

test("with nothing set, every step gets the defaults; a step's own variable overrides its declared default", async () => {
  const tunings = await read({})
  expect(tunings["sync-crm-object"]).toEqual({ retryTiersMs: [1_000, 10_000, 60_000, 600_000], maxAttempts: 8, deliveryLimit: 5, prefetch: 100 })
  expect(tunings["write-back-ids"]).toMatchObject({ prefetch: 500, batchWindowMs: 200 })
  expect((await read({ PREFETCH: "50", WRITE_BACK_IDS_PREFETCH: "300" }))["write-back-ids"]).toMatchObject({ prefetch: 300 })
})

test("every step is declared once, with its bindings and a handler", () => {
  const registered = withTuning()
  expect(registered.map((r) => r.step.name)).toEqual(["sync-crm-object", "write-back-ids", "sync-commerce-entity"])
  expect(new Set(registered.map((r) => r.step.name)).size).toBe(registered.length)
  expect(registered.find((r) => r.step.name === "write-back-ids")?.step.bindings).toEqual(["commerce.ids.assigned"])
  for (const r of registered) expect(typeof r.handler).toBe("function")
})

test("a malformed tier list is refused at start with a message naming the variable", async () => {
  const refused = await read({ RETRY_TIERS_MS: "1000,10s" }).then(
    () => "accepted",
    (error: unknown) => String(error)
  )
  expect(refused).toContain("RETRY_TIERS_MS must be a comma-separated list")
  const perStep = await read({ WRITE_BACK_IDS_RETRY_TIERS_MS: "500,,5000" }).then(
    () => "accepted",
    (error: unknown) => String(error)
  )
  expect(perStep).toContain("WRITE_BACK_IDS_RETRY_TIERS_MS")
})

test("each step keys its messages by the commerce object both directions share", () => {
  const keyOf = (step: string) => withTuning().find((r) => r.step.name === step)?.step.partitionKeyOf
  const envelope = (type: string, payload: unknown) => ({ id: "m", type, payload, occurredAt: 0, lane: "live" as const, attempt: 1 })
  // Flow C: the shop entity the event is about.
  expect(keyOf("sync-commerce-entity")?.(envelope("commerce.user_updated", { id: "u-5", occurredAt: 1 }))).toBe("user:u-5")
  expect(keyOf("sync-commerce-entity")?.(envelope("commerce.purchase_deleted", { id: "p-9", occurredAt: 1 }))).toBe("purchase:p-9")
  // Flow B: the entity the platform assigned its id to, keyed as flow C keys it.
  expect(keyOf("write-back-ids")?.(envelope("commerce.ids.assigned", { entity: "business", crmId: "77", commerceId: "b-2" }))).toBe("business:b-2")
  // Flow A without a stamped key (the relay stamps linked records): the CRM record itself.
  const change = { key: "k", objectType: "contact", objectId: "101", kind: "propertyChange", occurredAt: 1 }
  expect(keyOf("sync-crm-object")?.(envelope("crm.contact.propertyChange", change))).toBe("crm:contact:101")
  // Not readable: no key (the bus spreads it by message id).
  expect(keyOf("write-back-ids")?.(envelope("commerce.ids.assigned", { nope: true }))).toBeUndefined()
})
