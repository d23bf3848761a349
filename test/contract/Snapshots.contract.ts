// The Snapshots contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type CommerceSnapshot, type CrmSnapshot, Snapshots } from "../../src/application/ports/Snapshots.ts"
import type { CompanyId, ContactId } from "../../src/domain/Ids.ts"
import { portRunner } from "./runPort.ts"

const aCompany = (id: string, version: number, name = `Acme ${id}`): CrmSnapshot => ({
  type: "company",
  id,
  version,
  record: { id: id as CompanyId, properties: { name, "$weird.key": "x" }, updatedAt: version, contactIds: [] }
})
const aContact = (id: string, version: number): CrmSnapshot => ({
  type: "contact",
  id,
  version,
  record: { id: id as ContactId, properties: { email: `${id}@example.com` }, updatedAt: version, companyIds: [] }
})
const aShopUser = (id: string, version: number, record: CommerceSnapshot["record"] = { id, email: `${id}@shop.test`, "a.b": 1 }): CommerceSnapshot => ({
  entity: "user",
  id,
  version,
  record
})
const byId = <S extends { readonly id: string }>(all: ReadonlyArray<S>) => [...all].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }))

export const snapshotsContract = (name: string, makeLayer: () => Layer.Layer<Snapshots, unknown>): void => {
  const run = portRunner(Snapshots, makeLayer)

  describe(`Snapshots contract: ${name}`, () => {
    test("saves and reads many CRM snapshots at once; missing keys are left out", async () => {
      const companies = Array.from({ length: 60 }, (_, i) => aCompany(String(i), 1000 + i))
      const contacts = Array.from({ length: 40 }, (_, i) => aContact(String(i), 2000 + i))
      const out = await run((s) =>
        Effect.gen(function* () {
          const saved = yield* s.saveCrm([...companies, ...contacts])
          const found = yield* s.getCrm([
            ...companies.map((c) => ({ type: c.type, id: c.id })),
            { type: "company", id: "missing" },
            { type: "order", id: "0" },
            ...contacts.slice(0, 5).map((c) => ({ type: c.type, id: c.id }))
          ])
          return { saved, found, empty: yield* s.getCrm([]), none: yield* s.saveCrm([]) }
        })
      )
      expect(out.saved).toEqual(Array.from({ length: 100 }, () => "newer"))
      expect(byId(out.found.filter((f): boolean => f.type === "company"))).toEqual(companies)
      expect(byId(out.found.filter((f): boolean => f.type === "contact"))).toEqual(contacts.slice(0, 5))
      expect(out.found).toHaveLength(65)
      expect(out.empty).toEqual([])
      expect(out.none).toEqual([])
    })

    test("the version guard answers per input: older never overwrites, equal replaces, newer wins", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.saveCrm([aCompany("1", 5, "five"), aCompany("2", 5, "five"), aCompany("3", 5, "five")])
          const verdicts = yield* s.saveCrm([aCompany("1", 3, "three"), aCompany("2", 5, "five again"), aCompany("3", 8, "eight"), aCompany("4", 1, "one")])
          return { verdicts, stored: yield* s.getCrm(["1", "2", "3", "4"].map((id) => ({ type: "company" as const, id }))) }
        })
      )
      expect(out.verdicts).toEqual(["older", "same", "newer", "newer"])
      expect(byId(out.stored).map((c) => [c.id, c.version, c.record.properties["name"]])).toEqual([
        ["1", 5, "five"],
        ["2", 5, "five again"],
        ["3", 8, "eight"],
        ["4", 1, "one"]
      ])
    })

    test("concurrent saves of the same keys keep the newest version of each", async () => {
      const keys = ["a", "b", "c"]
      const out = await run((s) =>
        Effect.gen(function* () {
          const racing = yield* Effect.all(
            [6, 9, 7, 8, 9].map((version) => s.saveCrm(keys.map((id) => aCompany(id, version, `v${version}`)))),
            { concurrency: "unbounded" }
          )
          return { racing, stored: yield* s.getCrm(keys.map((id) => ({ type: "company" as const, id }))) }
        })
      )
      for (const i of keys.keys()) expect(out.racing.map((verdicts) => verdicts[i])).toContain("newer")
      expect(byId(out.stored).map((c) => [c.id, c.version, c.record.properties["name"]])).toEqual(keys.map((id) => [id, 9, "v9"]))
    })

    test("commerce snapshots are kept per entity, apart from CRM ones, with tombstones", async () => {
      const users = Array.from({ length: 30 }, (_, i) => aShopUser(String(i), 100 + i))
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.saveCommerce(users)
          yield* s.saveCommerce([{ entity: "business", id: "1", version: 7, record: { name: "Biz" } }])
          const verdicts = yield* s.saveCommerce([aShopUser("1", 500, null), aShopUser("2", 50), aShopUser("3", 103, { id: "3", email: "same" })])
          return {
            verdicts,
            users: yield* s.getCommerce(users.map((u) => ({ entity: "user" as const, id: u.id }))),
            business: yield* s.getCommerce([
              { entity: "business", id: "1" },
              { entity: "purchase", id: "1" }
            ]),
            crm: yield* s.getCrm([{ type: "company", id: "1" }])
          }
        })
      )
      expect(out.verdicts).toEqual(["newer", "older", "same"])
      const stored = byId(out.users)
      expect(stored).toHaveLength(30)
      expect(stored[0]).toEqual(users[0]!)
      expect(stored[1]).toEqual(aShopUser("1", 500, null))
      expect(stored[2]).toEqual(users[2]!)
      expect(stored[3]).toEqual(aShopUser("3", 103, { id: "3", email: "same" }))
      expect(out.business).toEqual([{ entity: "business", id: "1", version: 7, record: { name: "Biz" } }])
      expect(out.crm).toEqual([])
    })

    test("concurrent commerce saves of one key keep the newest", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          const racing = yield* Effect.all(
            [3, 11, 5, 10, 2].map((v) => s.saveCommerce([aShopUser("x", v, { v })])),
            { concurrency: "unbounded" }
          )
          return { racing: racing.flat(), stored: yield* s.getCommerce([{ entity: "user", id: "x" }]) }
        })
      )
      expect(out.racing).toContain("newer")
      expect(out.stored).toEqual([aShopUser("x", 11, { v: 11 })])
    })
  })
}
