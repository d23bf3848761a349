import { expect, test } from "bun:test"
import { Effect } from "effect"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { crmContract } from "../contract/Crm.contract.ts"

crmContract(
  "in-memory",
  () => InMemoryCrm.layer(),
  () => InMemoryCrm.layer({ uniqueProperties: { contact: [], company: [], order: [] } })
)

test("the in-memory CRM splits large inputs into calls of at most 100", async () => {
  const crm = await Effect.runPromise(InMemoryCrm.make())
  const inputs = Array.from({ length: 250 }, (_, i) => ({ commerceId: `c${i}`, properties: {} }))
  await Effect.runPromise(crm.upsert("contact", inputs))
  expect(crm.calls.upsert).toBe(3)
})
