// The chaos oracle counts what it must: a record missing on the other side, a second copy, a field
// that is not the last one written at the origin, an id that never came back.
import { expect, test } from "bun:test"
import { check, passes } from "../support/chaos/Oracle.ts"
import type { Made } from "../support/chaos/Workload.ts"
import type { SimEntity, Simulator } from "../support/commerce/CommerceSimulator.ts"
import type { HubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { createObject } from "../support/hubspot/ObjectMutations.ts"
import { SimStore } from "../support/hubspot/SimStore.ts"

const sides = (shop: ReadonlyArray<SimEntity>) => {
  const state = new SimStore()
  const hubspot = { state } as unknown as HubSpotSimulator
  const commerce = {
    state: () => ({ user: shop.filter((e) => e.entity === "user"), business: shop.filter((e) => e.entity === "business"), purchase: [] }),
    find: (entity: string, id: string) => shop.find((e) => e.entity === entity && e.id === id)
  } as unknown as Simulator
  return { state, hubspot, commerce }
}
const user = (id: string, record: Record<string, unknown>): SimEntity => ({
  entity: "user",
  id,
  record: { id, ...record },
  crmVersion: undefined,
  deleted: false
})

const fields = { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" }
const contactProps = { email: "ada@example.com", firstname: "Ada", lastname: "Lovelace" }

test("a HubSpot contact synced to one user, with the ids written back both ways, passes", () => {
  const { state, hubspot } = sides([])
  const contact = createObject(state, "contacts", { ...contactProps, ecommerce_user_id: "u-1" }, "CRM_UI")
  const shop = [user("u-1", { ...fields, crmId: contact.id })]
  const made: Made = { origin: "hubspot", kind: "contact", id: contact.id, createdAt: 0, fields }
  const verdict = check([made], hubspot, sides(shop).commerce)
  expect(verdict).toMatchObject({ lost: 0, duplicates: 0, mismatched: 0, missingWriteBacks: 0 })
  expect(passes(verdict)).toBe(true)
})

test("lost, duplicated, mismatched and not written back are each counted", () => {
  const { state, hubspot } = sides([])
  const lostOne = createObject(state, "contacts", contactProps, "CRM_UI")
  const twice = createObject(state, "contacts", { ...contactProps, ecommerce_user_id: "u-1" }, "CRM_UI")
  const stale = createObject(state, "contacts", { ...contactProps, ecommerce_user_id: "u-3" }, "CRM_UI")
  const noId = createObject(state, "contacts", contactProps, "CRM_UI")
  const shop = [
    user("u-1", { ...fields, crmId: twice.id }),
    user("u-2", { ...fields, crmId: twice.id }),
    user("u-3", { ...fields, firstName: "Old", crmId: stale.id }),
    user("u-4", { ...fields, crmId: noId.id })
  ]
  const made = [lostOne, twice, stale, noId].map((c): Made => ({ origin: "hubspot", kind: "contact", id: c.id, createdAt: 0, fields }))
  const verdict = check(made, hubspot, sides(shop).commerce)
  expect(verdict).toMatchObject({ lost: 1, duplicates: 1, mismatched: 1, missingWriteBacks: 1 })
  expect(passes(verdict)).toBe(false)
})

test("a shop user must reach HubSpot with its last values, and learn the contact's id", () => {
  const { state, hubspot } = sides([])
  createObject(state, "contacts", { ...contactProps, firstname: "Before", ecommerce_user_id: "u-9" }, "INTEGRATION")
  const made: Made = { origin: "shop", kind: "user", id: "u-9", createdAt: 0, fields }
  const verdict = check([made], hubspot, sides([user("u-9", fields)]).commerce)
  expect(verdict).toMatchObject({ lost: 0, duplicates: 0, mismatched: 1, missingWriteBacks: 1 })
})
