// The Crm port's contract: run against the in-memory CRM and against HubSpot (simulated). A new
// CRM adapter passes it too: `crmContract(name, layer, unpreparedLayer)` from its own test file.
import { describe, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { Crm, type ItemOutcome } from "../../src/application/ports/Crm.ts"
import { commerceIdProperty } from "../../src/domain/CorrespondenceTable.ts"
import type { CompanyId, ContactId } from "../../src/domain/Ids.ts"
import { suiteRuntime } from "../support/runtime.ts"

const applied = <Id>(outcome: ItemOutcome<Id> | undefined): Id => {
  if (outcome?._tag !== "Applied") throw new Error(`expected Applied, got ${JSON.stringify(outcome)}`)
  return outcome.id
}

/**
 * `makeLayer` gives an adapter over an account set up for the sync; `makeUnprepared` one over an
 * account where the commerce id fields were never created (upserts cannot match on anything).
 */
export const crmContract = <E>(name: string, makeLayer: () => Layer.Layer<Crm, E>, makeUnprepared: () => Layer.Layer<Crm, E>) =>
  describe(`Crm contract: ${name}`, () => {
    const run = suiteRuntime(makeLayer)
    const run$ = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const key = (n: number | string) => `${run$}-${n}`
    const user = (n: number | string, properties: Record<string, string> = {}) => ({
      commerceId: key(n),
      properties: { email: `u${n}-${run$}@example.com`, firstname: `First ${n}`, ...properties }
    })

    test("upsert creates a record, a second upsert with the same id value updates it", async () => {
      const [first, second] = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const first = yield* crm.upsert("contact", [user("a")])
          const second = yield* crm.upsert("contact", [user("a", { firstname: "Changed" })])
          return [first[0], second[0]] as const
        })
      )
      expect(first).toMatchObject({ _tag: "Applied", created: true })
      expect(second).toMatchObject({ _tag: "Applied", created: false })
      const id = applied(second)
      expect(applied(first)).toBe(id)
      const [record] = await run(Effect.flatMap(Crm, (crm) => crm.read("contact", [id])))
      expect(record?.properties["firstname"]).toBe("Changed")
      expect(typeof id).toBe("string")
      // The adapter writes the commerce id into the field the correspondence table names.
      expect(record?.properties[commerceIdProperty.user]).toBe(key("a"))
    })

    test("more than 100 inputs are all applied and readable (the adapter chunks)", async () => {
      const inputs = Array.from({ length: 250 }, (_, i) => user(`bulk${i}`))
      const outcomes = await run(Effect.flatMap(Crm, (crm) => crm.upsert("contact", inputs)))
      expect(outcomes).toHaveLength(250)
      const ids = outcomes.map(applied)
      expect(new Set(ids).size).toBe(250)
      const records = await run(Effect.flatMap(Crm, (crm) => crm.read("contact", ids)))
      expect(records.map((r) => r.id).sort()).toEqual([...ids].sort())
    })

    test("a bad item in a batch is rejected alone; the others are applied", async () => {
      const inputs = [user("ok1"), user("bad", { email: "not-an-email" }), user("ok2")]
      const outcomes = await run(Effect.flatMap(Crm, (crm) => crm.upsert("contact", inputs)))
      expect(outcomes.map((o) => o._tag)).toEqual(["Applied", "Rejected", "Applied"])
      // A refusal of the input's content: asking again would fail the same way.
      expect(outcomes[1]).toMatchObject({ _tag: "Rejected", retryable: false, message: expect.stringMatching(/email/i) })
    })

    test("upserts into an account without the commerce id fields fail as a permanent CrmRejected", async () => {
      const error = await Effect.runPromise(
        Effect.flip(
          Effect.provide(
            Effect.flatMap(Crm, (crm) => crm.upsert("contact", [user("unprepared")])),
            Layer.orDie(makeUnprepared())
          )
        )
      )
      expect(error._tag).toBe("CrmError")
      expect(error.reason._tag).toBe("CrmRejected")
      expect(error.isRetryable).toBe(false)
    })

    test("update sets properties; an unknown id or a taken unique value is rejected per item", async () => {
      const outcomes = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const [a, b] = (yield* crm.upsert("contact", [user("u1"), user("u2")])).map(applied)
          return yield* crm.update("contact", [
            { id: a!, properties: { lastname: "Updated" } },
            { id: "999999999" as ContactId, properties: { lastname: "Nobody" } },
            { id: b!, properties: { ecommerce_user_id: key("u1") } }
          ])
        })
      )
      expect(outcomes.map((o) => o._tag)).toEqual(["Applied", "Rejected", "Rejected"])
      expect(outcomes.slice(1).map((o) => o._tag === "Rejected" && o.retryable)).toEqual([false, false])
      const [record] = await run(Effect.flatMap(Crm, (crm) => crm.read("contact", [applied(outcomes[0])])))
      expect(record?.properties["lastname"]).toBe("Updated")
    })

    test("associations are read from both ends and adding one twice changes nothing", async () => {
      const [contact, company] = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const contactId = applied((yield* crm.upsert("contact", [user("assoc")]))[0])
          const companyId = applied((yield* crm.upsert("company", [{ commerceId: key("biz"), properties: { name: "Acme" } }]))[0])
          const link = { fromType: "contact", fromId: contactId, toType: "company", toId: companyId } as const
          yield* crm.associate([link])
          yield* crm.associate([link])
          const [contact] = yield* crm.read("contact", [contactId])
          const [company] = yield* crm.read("company", [companyId as CompanyId])
          return [contact, company] as const
        })
      )
      expect(contact?.companyIds).toEqual([company!.id])
      expect(company?.contactIds).toEqual([contact!.id])
    })

    test("archive removes records and their associations; archiving again changes nothing", async () => {
      const { contact, companyLinks } = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const contactId = applied((yield* crm.upsert("contact", [user("gone")]))[0])
          const companyId = applied((yield* crm.upsert("company", [{ commerceId: key("gone-biz"), properties: { name: "Gone Inc" } }]))[0])
          yield* crm.associate([{ fromType: "contact", fromId: contactId, toType: "company", toId: companyId }])
          yield* crm.archive("contact", [contactId])
          yield* crm.archive("contact", [contactId])
          const contact = yield* crm.read("contact", [contactId])
          const [company] = yield* crm.read("company", [companyId as CompanyId])
          return { contact, companyLinks: company?.contactIds }
        })
      )
      expect(contact).toEqual([])
      expect(companyLinks).toEqual([])
    })

    test("read leaves out ids that do not exist", async () => {
      const records = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const id = applied((yield* crm.upsert("contact", [user("exists")]))[0])
          return yield* crm.read("contact", [id, "888888888" as ContactId])
        })
      )
      expect(records).toHaveLength(1)
    })

    test("list pages through every record in ascending order, each once, with its properties and associations", async () => {
      const { ids, seen, pages, listedContact, company } = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const ids = (yield* crm.upsert(
            "company",
            Array.from({ length: 45 }, (_, i) => ({ commerceId: key(`list${i}`), properties: { name: `List ${i}` } }))
          )).map(applied)
          const contactId = applied((yield* crm.upsert("contact", [user("listed")]))[0])
          yield* crm.associate([{ fromType: "contact", fromId: contactId, toType: "company", toId: ids[3]! }])
          const seen: Array<{ readonly id: string; readonly name: unknown; readonly contactIds: ReadonlyArray<string> }> = []
          let after: string | undefined
          let pages = 0
          do {
            const page = yield* crm.list("company", { after, limit: 20 })
            expect(page.records.length).toBeLessThanOrEqual(20)
            seen.push(...page.records.map((r) => ({ id: r.id, name: r.properties["name"], contactIds: r.contactIds })))
            after = page.next
            pages++
          } while (after !== undefined)
          // A page larger than one list call of the CRM is gathered by the adapter.
          const contacts = yield* crm.list("contact", { after: contactId, limit: 150 })
          return { ids, seen, pages, listedContact: contacts.records.find((r) => r.id === contactId), company: ids[3]! }
        })
      )
      const ours = seen.filter((r) => ids.includes(r.id as CompanyId))
      expect(ours.map((r) => r.id)).toEqual(ids)
      expect(ours.map((r) => r.name)).toEqual(ids.map((_, i) => `List ${i}`))
      expect(ours.find((r) => r.id === company)?.contactIds).toEqual([listedContact!.id])
      expect(listedContact?.companyIds).toEqual([company])
      expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length)
      expect(seen.map((r) => r.id)).toEqual([...seen.map((r) => r.id)].sort((a, b) => Number(a) - Number(b)))
      expect(pages).toBeGreaterThanOrEqual(3)
    })

    test("list stops at toId: records past it are left out and the page is the last", async () => {
      const { ids, page } = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const ids = (yield* crm.upsert(
            "company",
            Array.from({ length: 130 }, (_, i) => ({ commerceId: key(`upto${i}`), properties: { name: `Up to ${i}` } }))
          )).map(applied)
          const page = yield* crm.list("company", { after: ids[2]!, limit: 500, toId: ids[121]! })
          return { ids, page }
        })
      )
      expect(page.records.map((r) => r.id)).toEqual(ids.slice(2, 122))
      expect(page.next).toBeUndefined()
    })

    test("count says how many records an id range holds, and how many in all", async () => {
      const { inRange, all, after } = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const before = yield* crm.count("company", {})
          const ids = (yield* crm.upsert(
            "company",
            Array.from({ length: 7 }, (_, i) => ({ commerceId: key(`count${i}`), properties: { name: `Count ${i}` } }))
          )).map(applied)
          const sorted = [...ids].sort((a, b) => Number(a) - Number(b))
          const inRange = yield* crm.count("company", { fromId: sorted[1]!, toId: sorted[5]! })
          const all = yield* crm.count("company", {})
          return { inRange, all, after: (before ?? 0) + 7 }
        })
      )
      expect(inRange).toBe(5)
      expect(all).toBe(after)
    })

    test("modifiedBetween pages through the records changed in a window, oldest first", async () => {
      const { ids, seen } = await run(
        Effect.gen(function* () {
          const crm = yield* Crm
          const ids = (yield* crm.upsert(
            "company",
            Array.from({ length: 120 }, (_, i) => ({
              commerceId: key(`win${i}`),
              properties: { name: `Window ${i}` }
            }))
          )).map(applied)
          const [first] = yield* crm.read("company", [ids[0]!])
          const seen: Array<string> = []
          let after: string | undefined
          do {
            const page = yield* crm.modifiedBetween("company", { from: first!.updatedAt, to: Number.MAX_SAFE_INTEGER }, after)
            for (let i = 1; i < page.records.length; i++) expect(page.records[i]!.updatedAt).toBeGreaterThanOrEqual(page.records[i - 1]!.updatedAt)
            seen.push(...page.records.map((r) => r.id))
            after = page.next
          } while (after !== undefined)
          return { ids, seen }
        })
      )
      expect(seen).toEqual(expect.arrayContaining(ids))
      expect(new Set(seen).size).toBe(seen.length)
    })
  })
