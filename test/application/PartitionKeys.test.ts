// The relay keys flow A's messages by the linked commerce object, as flow C's are keyed.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import * as InMemoryIdLinks from "../../src/adapters/memory/InMemoryIdLinks.ts"
import { withCrmPartitionKeys } from "../../src/application/PartitionKeys.ts"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import type { OutgoingMessage } from "../../src/application/Step.ts"

const change = (objectType: string, objectId: string): OutgoingMessage => ({
  id: `${objectType}-${objectId}`,
  type: `crm.${objectType}.propertyChange`,
  payload: { key: `k-${objectId}`, objectType, objectId, kind: "propertyChange", occurredAt: 1 },
  occurredAt: 1,
  lane: "live"
})

test("linked CRM records key as their commerce object; unlinked ones as the CRM record; others get none", async () => {
  const keys = await Effect.runPromise(
    Effect.gen(function* () {
      const links = yield* IdLinks
      yield* links.link([
        { entity: "user", crmId: "101", commerceId: "u-5" },
        { entity: "business", crmId: "201", commerceId: "b-2" }
      ])
      const other: OutgoingMessage = { id: "x", type: "commerce.ids.assigned", payload: { entity: "user" }, occurredAt: 1, lane: "live" }
      const stamped = yield* withCrmPartitionKeys([change("contact", "101"), change("company", "201"), change("contact", "102"), other])
      return stamped.map((m) => m.partitionKey)
    }).pipe(Effect.provide(InMemoryIdLinks.layer))
  )
  expect(keys).toEqual(["user:u-5", "business:b-2", "crm:contact:102", undefined])
})
