// Flow A's pure decisions: no services, only what a batch loaded.
import { describe, expect, test } from "bun:test"
import type { EntityDelete, EntityMerge, EntityUpsert } from "../../src/application/CommerceMessages.ts"
import { decideUpserts, neighbourKeys } from "../../src/application/DecideCrmChanges.ts"
import { ARCHIVED, commerceWrites, crmWrites, crmWritesLanded, ledgerOf } from "../../src/application/LedgerEntries.ts"
import type { IdLink } from "../../src/application/ports/IdLinks.ts"
import type { CrmSnapshot } from "../../src/application/ports/Snapshots.ts"
import type { CrmRecord } from "../../src/application/ShopUpserts.ts"
import { type ChangeInput, LinkIndex, linksAfter, triage, triageKeys } from "../../src/application/TriageCrmChanges.ts"
import type { CrmChange } from "../../src/domain/CrmChange.ts"
import type { CompanyId, ContactId, OrderId } from "../../src/domain/Ids.ts"

const NOW = 1_000_000
const contact = (id: string, properties: Record<string, string>, updatedAt = 100, companyIds: ReadonlyArray<string> = []): CrmRecord => ({
  type: "contact",
  record: { id: id as ContactId, properties, updatedAt, companyIds: companyIds as ReadonlyArray<CompanyId> }
})
const company = (id: string, properties: Record<string, string>, updatedAt = 100, contactIds: ReadonlyArray<string> = []): CrmRecord => ({
  type: "company",
  record: { id: id as CompanyId, properties, updatedAt, contactIds: contactIds as ReadonlyArray<ContactId> }
})
const change = (index: number, overrides: Partial<CrmChange>): ChangeInput => ({
  index,
  lane: "live",
  change: { key: `k${index}`, objectType: "contact", objectId: "1", kind: "propertyChange", occurredAt: 100, ...overrides }
})
const recordsOf = (...items: ReadonlyArray<CrmRecord>) => new Map(items.map((i) => [`${i.type}:${i.record.id}`, i] as const))
const snapshotOf = (item: CrmRecord, version = item.record.updatedAt): CrmSnapshot =>
  ({ type: item.type, id: item.record.id, version, record: item.record }) as CrmSnapshot
const noLedger = ledgerOf([], NOW)
const loaded = (
  records: ReturnType<typeof recordsOf>,
  more: { snapshots?: ReadonlyArray<CrmSnapshot>; links?: ReadonlyArray<IdLink>; ledger?: ReturnType<typeof ledgerOf> } = {}
) => ({
  records,
  snapshots: more.snapshots ?? [],
  links: new LinkIndex(more.links ?? []),
  seen: [],
  ledger: more.ledger ?? noLedger,
  now: NOW
})
const upserts = (publish: ReadonlyArray<{ readonly type: string; readonly payload: unknown }>) =>
  publish.filter((m) => m.type.endsWith(".upsert")).map((m) => m.payload as EntityUpsert)

describe("triage: what each change asks for before HubSpot is read", () => {
  test("the echo of our own write is dropped without a read, a publish or any write", () => {
    const ledger = ledgerOf(crmWrites("contact", "1", { ecommerce_user_id: "u-1" }, NOW), NOW)
    const t = triage([change(0, { propertyName: "ecommerce_user_id", propertyValue: "u-1" })], [], ledger, [])
    expect(t).toEqual({ publish: [], repoints: [], wanted: [] })
  })

  test("a change the CRM attributes to us is an echo whatever its values; one by someone else is news even with our value", () => {
    const ours = triage([change(0, { propertyName: "firstname", propertyValue: "Z", origin: "us" })], [], noLedger, [])
    expect(ours).toEqual({ publish: [], repoints: [], wanted: [] })
    // Nothing stored can change that, so round 1 asks the store nothing about it.
    expect(triageKeys([change(0, { propertyName: "firstname", propertyValue: "Z", origin: "us" }), change(1, { objectId: "2" })])).toEqual({
      snapshots: [{ type: "contact", id: "2" }],
      ledger: [{ side: "crm", objectKey: "contact:2" }],
      links: []
    })
    // A→B→A: we wrote A, a person set B and then A again.
    const ledger = ledgerOf(crmWrites("contact", "1", { firstname: "A" }, NOW), NOW)
    const back = triage([change(0, { propertyName: "firstname", propertyValue: "A", origin: "others" })], [], ledger, [])
    expect(back.wanted).toEqual([{ index: 0, lane: "live", type: "contact", id: "1", byOthers: true }])
  })

  test("only the value we wrote last is ours: an older write of ours coming back is news", () => {
    const ledger = ledgerOf([...crmWrites("contact", "1", { firstname: "A" }, NOW - 10), ...crmWrites("contact", "1", { firstname: "B" }, NOW)], NOW)
    expect(triage([change(0, { propertyName: "firstname", propertyValue: "A" })], [], ledger, []).wanted).toHaveLength(1)
    expect(triage([change(0, { propertyName: "firstname", propertyValue: "B" })], [], ledger, []).wanted).toHaveLength(0)
  })

  test("a change an earlier read already carried is coalesced away; an association change never is", () => {
    const stored = snapshotOf(contact("1", { email: "a@example.com" }, 200))
    const t = triage(
      [change(0, { occurredAt: 150 }), change(1, { kind: "associationChange", occurredAt: 150 }), change(2, { occurredAt: 250 })],
      [stored],
      noLedger,
      []
    )
    expect(t.wanted.map((w) => w.index)).toEqual([1, 2])
  })

  test("a deletion is published with the shop's id; the deletion we caused ourselves is not", () => {
    const links = [{ entity: "user" as const, crmId: "1", commerceId: "u-1" }]
    const t = triage([change(0, { kind: "deletion", occurredAt: 300 })], [], noLedger, links)
    expect(t.publish.map((m) => [m.type, m.id, m.payload])).toEqual([
      ["tocommerce.user.delete", "k0", { entity: "user", crmId: "1", commerceId: "u-1", version: 300 } satisfies EntityDelete]
    ])
    const ours = triage([change(0, { kind: "deletion", occurredAt: 300 })], [], ledgerOf(crmWrites("contact", "1", ARCHIVED, NOW), NOW), links)
    expect(ours.publish).toEqual([])
  })

  test("a merge says the ids as they are before the links move, and wants the survivor", () => {
    const links = [{ entity: "user" as const, crmId: "2", commerceId: "u-2" }]
    const t = triage([change(0, { kind: "merge", objectId: "1", primaryObjectId: "1", mergedObjectIds: ["1", "2"], occurredAt: 400 })], [], noLedger, links)
    expect(t.publish[0]?.payload).toEqual({
      entity: "user",
      survivorCrmId: "1",
      mergedCrmIds: ["2"],
      mergedCommerceIds: ["u-2"],
      version: 400
    } satisfies EntityMerge)
    expect(t.repoints).toEqual([{ entity: "user", merged: ["2"], survivor: "1" }])
    expect(t.wanted.map((w) => w.id)).toEqual(["1"])
    // The survivor's upsert is decided with the links as they will be after the repoint.
    expect(linksAfter(links, t.repoints).commerceId("user", "1")).toBe("u-2")
  })
})

describe("decideUpserts: what the shop receives for the wanted records", () => {
  test("two events of one object coalesce into one upsert", () => {
    const records = recordsOf(contact("1", { email: "a@example.com", firstname: "A" }))
    const t = triage([change(0, {}), change(1, { key: "k1", occurredAt: 101 })], [], noLedger, [])
    const d = decideUpserts(t.wanted, loaded(records))
    expect(upserts(d.publish)).toHaveLength(1)
    expect(d.snapshots).toHaveLength(1)
  })

  test("a batch with one invalid record settles only that one: its message fails, the others publish", () => {
    const records = recordsOf(
      contact("1", { email: "good@example.com" }),
      contact("2", { email: "not an e-mail" }),
      contact("3", { email: "fine@example.com" })
    )
    const wanted = ["1", "2", "3"].map((id, index) => ({ index, lane: "live" as const, type: "contact" as const, id }))
    const d = decideUpserts(wanted, loaded(records))
    expect([...d.invalid.keys()]).toEqual([1])
    expect(d.invalid.get(1)).toContain("email")
    expect(upserts(d.publish).map((u) => u.crmId)).toEqual(["1", "3"])
    expect(d.snapshots.map((s) => s.id)).toEqual(["1", "3"])
  })

  test("an older version never overwrites: nothing is published and no snapshot is written", () => {
    const records = recordsOf(contact("1", { email: "old@example.com" }, 100))
    const stored = snapshotOf(contact("1", { email: "new@example.com" }, 200))
    const d = decideUpserts([{ index: 0, lane: "live", type: "contact", id: "1" }], loaded(records, { snapshots: [stored] }))
    expect(d).toEqual({ publish: [], ledger: [], snapshots: [], invalid: new Map(), stale: new Map(), awaiting: new Map() })
  })

  test("a record someone else changed back to our values is news, not an echo", () => {
    const item = contact("1", { email: "a@example.com", firstname: "A" }, 300)
    const synced = contact("1", { email: "a@example.com", firstname: "B" }, 200)
    const ledger = ledgerOf(crmWrites("contact", "1", { email: "a@example.com", firstname: "A" }, NOW), NOW)
    const d = decideUpserts(
      [{ index: 0, lane: "live", type: "contact", id: "1", byOthers: true }],
      loaded(recordsOf(item), { snapshots: [snapshotOf(synced)], ledger, links: [{ entity: "user", crmId: "1", commerceId: "u-1" }] })
    )
    expect(upserts(d.publish).map((u) => u.fields)).toEqual([{ firstName: "A" }])
  })

  test("a clear in HubSpot is news although every other value is ours; an empty value that was empty before is not", () => {
    const synced = contact("1", { email: "a@example.com", phone: "+4930901820" }, 200)
    // Written (and landed) well before the read began.
    const ledger = ledgerOf(crmWrites("contact", "1", { email: "a@example.com", phone: "+4930901820" }, NOW - 120_000), NOW)
    const links = [{ entity: "user" as const, crmId: "1", commerceId: "u-1" }]
    const cleared = contact("1", { email: "a@example.com", phone: "" }, 300)
    const d = decideUpserts(
      [{ index: 0, lane: "live", type: "contact", id: "1" }],
      loaded(recordsOf(cleared), { snapshots: [snapshotOf(synced)], ledger, links })
    )
    expect(upserts(d.publish).map((u) => u.fields["phone"])).toEqual([null])
    const neverSet = contact("1", { email: "a@example.com", firstname: "" }, 300)
    const quiet = decideUpserts(
      [{ index: 0, lane: "live", type: "contact", id: "1" }],
      loaded(recordsOf(neverSet), { snapshots: [snapshotOf(contact("1", { email: "a@example.com" }, 200))], ledger, links })
    )
    expect(quiet.publish).toEqual([])
  })

  test("values that are all our own writes are an echo: no publish, no ledger, no snapshot", () => {
    const item = contact("1", { email: "a@example.com", firstname: "A" }, 300)
    const ledger = ledgerOf(crmWrites("contact", "1", { email: "a@example.com", firstname: "A" }, NOW), NOW)
    const d = decideUpserts([{ index: 0, lane: "live", type: "contact", id: "1" }], loaded(recordsOf(item), { snapshots: [snapshotOf(item, 200)], ledger }))
    expect(d).toEqual({ publish: [], ledger: [], snapshots: [], invalid: new Map(), stale: new Map(), awaiting: new Map() })
  })

  test("a read that may predate our own write is read again (retryable), not published; once our write landed before the read, it is news", () => {
    // Flow C wrote the shop's "Shipped" while this read (begun at NOW) was under way; the read shows the older value.
    const read = contact("1", { email: "a@example.com", firstname: "Paid" }, 300)
    const synced = contact("1", { email: "a@example.com", firstname: "Shipped" }, 200)
    const links = [{ entity: "user" as const, crmId: "1", commerceId: "u-1" }]
    const wanted = [{ index: 0, lane: "live" as const, type: "contact" as const, id: "1" }]
    const ours = crmWrites("contact", "1", { firstname: "Shipped" }, NOW - 500)
    const inFlight = decideUpserts(wanted, loaded(recordsOf(read), { snapshots: [snapshotOf(synced)], ledger: ledgerOf(ours, NOW), links }))
    expect([inFlight.publish, inFlight.snapshots, [...inFlight.stale.keys()]]).toEqual([[], [], [0]])
    const landedAfterRead = ledgerOf([...ours, ...crmWritesLanded([{ type: "contact", id: "1" }], NOW + 200)], NOW)
    expect([...decideUpserts(wanted, loaded(recordsOf(read), { snapshots: [snapshotOf(synced)], ledger: landedAfterRead, links })).stale.keys()]).toEqual([0])
    // Our write landed before the read began: the read is newer, so a person changed it back.
    const landedBefore = ledgerOf([...ours, ...crmWritesLanded([{ type: "contact", id: "1" }], NOW - 100)], NOW)
    const news = decideUpserts(wanted, loaded(recordsOf(read), { snapshots: [snapshotOf(synced)], ledger: landedBefore, links }))
    expect(news.stale.size).toBe(0)
    expect(upserts(news.publish).map((u) => u.fields["firstName"])).toEqual(["Paid"])
  })

  test("a contact sent beside a company the shop may not hold yet is sent again once the company's shop id is known", () => {
    // The platform resolves links by CRM id when the upsert arrives: a contact that reaches it
    // before its company (the company's upsert was retried on its side) keeps no business.
    const acme = company("10", { name: "Acme", domain: "acme.example.com" }, 100, ["1"])
    const person = contact("1", { email: "a@example.com" }, 100, ["10"])
    const records = recordsOf(acme, person)
    const wanted = [{ index: 0, lane: "live" as const, type: "company" as const, id: "10" }]
    const first = decideUpserts(wanted, loaded(records))
    expect(first.publish.map((m) => m.type)).toEqual(["tocommerce.business.upsert", "tocommerce.user.upsert"])
    expect([...first.awaiting.keys()]).toEqual([0])
    // The contact is remembered with the link marked pending, so it is news once confirmed.
    const remembered = first.snapshots.find((s) => s.type === "contact")
    expect(remembered?.record).toMatchObject({ id: "1", companyIds: ["pending:10"] })
    expect(first.snapshots.find((s) => s.type === "company")?.record as unknown).toEqual(acme.record)

    // Retried while the company still has no shop id: nothing new to send, still waiting.
    const stillWaiting = decideUpserts(wanted, loaded(records, { snapshots: first.snapshots }))
    expect([stillWaiting.publish, [...stillWaiting.awaiting.keys()]]).toEqual([[], [0]])

    // The company's id came back (flow B): the shop holds it, so the link now resolves.
    const links = [{ entity: "business" as const, crmId: "10", commerceId: "b-10" }]
    const settled = decideUpserts(wanted, loaded(records, { snapshots: first.snapshots, links }))
    expect(upserts(settled.publish).map((u) => [u.entity, u.crmId, u.links])).toEqual([["user", "1", { businessId: "10" }]])
    expect(settled.awaiting.size).toBe(0)
    expect(settled.snapshots.find((s) => s.type === "contact")?.record as unknown).toEqual(person.record)
    // Usually the shop took the company first and resolved the link: its record as we last saw
    // it (the echo of the user) shows it, so nothing is sent again and the mark is cleared.
    const userLinks = [...links, { entity: "user" as const, crmId: "1", commerceId: "u-1" }]
    const shopUser = (businessId: string | undefined) => [
      { entity: "user" as const, id: "u-1", version: 5, record: { id: "u-1", email: "a@example.com", ...(businessId === undefined ? {} : { businessId }) } }
    ]
    const resolved = decideUpserts(wanted, { ...loaded(records, { snapshots: first.snapshots, links: userLinks }), seen: shopUser("b-10") })
    expect([resolved.publish, resolved.awaiting.size]).toEqual([[], 0])
    expect(resolved.snapshots.map((s) => [s.type, s.record as unknown])).toEqual([["contact", person.record]])
    // The shop's record shows no business: the link is sent again.
    const unresolved = decideUpserts(wanted, { ...loaded(records, { snapshots: first.snapshots, links: userLinks }), seen: shopUser(undefined) })
    expect(upserts(unresolved.publish).map((u) => [u.crmId, u.links])).toEqual([["1", { businessId: "10" }]])

    // A backfill page runs once: it is not retried (which would park it), the mark stays.
    const backfill = decideUpserts([{ ...wanted[0]!, lane: "backfill" }], loaded(records))
    expect([backfill.awaiting.size, backfill.snapshots.find((s) => s.type === "contact")?.record]).toEqual([0, remembered?.record])
    // The same holds when the id is only on the HubSpot record (written back, link not stored).
    const withProperty = recordsOf(company("10", { name: "Acme", domain: "acme.example.com", ecommerce_business_id: "b-10" }, 100, ["1"]), person)
    expect(decideUpserts(wanted, loaded(withProperty, { snapshots: first.snapshots })).awaiting.size).toBe(0)
  })

  test("a backfill contact whose company was read while our id write-back to it was landing is not failed (a page would park it); live retries it", () => {
    const acme = company("10", { name: "Acme", domain: "acme.example.com" }, 100, ["1"])
    const person = contact("1", { email: "a@example.com" }, 100, ["10"])
    // Flow B is writing the company's shop id to HubSpot: in the ledger, not landed, not in the read.
    const ledger = ledgerOf(crmWrites("company", "10", { ecommerce_business_id: "b-10" }, NOW - 500), NOW)
    const wantedIn = (lane: "live" | "backfill") => [{ index: 0, lane, type: "contact" as const, id: "1" }]
    const backfill = decideUpserts(wantedIn("backfill"), loaded(recordsOf(acme, person), { ledger }))
    expect(backfill.stale.size).toBe(0)
    expect(upserts(backfill.publish).map((u) => [u.entity, u.crmId])).toEqual([["user", "1"]])
    expect(backfill.snapshots.map((s) => [s.type, s.record as unknown])).toEqual([["contact", { ...person.record, companyIds: ["pending:10"] }]])
    // Live sends it too, and reads the message again a retry tier later for the company's state.
    const live = decideUpserts(wantedIn("live"), loaded(recordsOf(acme, person), { ledger }))
    expect([...live.stale.keys()]).toEqual([0])
    expect(upserts(live.publish).map((u) => [u.entity, u.crmId])).toEqual([["user", "1"]])
  })

  test("an order waits for the shop id of the contact it links to, not for a company the shop already has", () => {
    const order: CrmRecord = {
      type: "order",
      record: { id: "7" as OrderId, properties: { hs_order_name: "#7" }, updatedAt: 100, contactIds: ["1" as ContactId], companyIds: ["10" as CompanyId] }
    }
    const records = recordsOf(order, company("10", { name: "Acme" }, 100, ["1"]), contact("1", { email: "a@example.com" }, 100, ["10"]))
    const links = [{ entity: "business" as const, crmId: "10", commerceId: "b-10" }]
    const d = decideUpserts([{ index: 0, lane: "live", type: "order", id: "7" }], loaded(records, { links }))
    expect([...d.awaiting.keys()]).toEqual([0])
    expect(d.snapshots.find((s) => s.type === "order")?.record).toMatchObject({ contactIds: ["pending:1"], companyIds: ["10"] })
    const both = [...links, { entity: "user" as const, crmId: "1", commerceId: "u-1" }]
    expect(decideUpserts([{ index: 0, lane: "live", type: "order", id: "7" }], loaded(records, { links: both })).awaiting.size).toBe(0)
  })

  test("a retried message is read again even when a snapshot covers its version", () => {
    const stored = snapshotOf(contact("1", { email: "a@example.com" }, 200))
    const retried: ChangeInput = { ...change(0, { occurredAt: 150 }), attempt: 2 }
    expect(triage([change(0, { occurredAt: 150 })], [stored], noLedger, []).wanted).toHaveLength(0)
    expect(triage([retried], [stored], noLedger, []).wanted).toHaveLength(1)
  })

  test("parents travel first, each record once, with the ledger recorded in shop ids", () => {
    const acme = company("10", { name: "Acme", domain: "acme.example.com" }, 100, ["1", "2"])
    const people = [contact("1", { email: "a@example.com" }, 100, ["10"]), contact("2", { email: "b@example.com" }, 100, ["10"])]
    const records = recordsOf(acme, ...people)
    const wanted = [
      { index: 0, lane: "live" as const, type: "contact" as const, id: "1" },
      { index: 1, lane: "live" as const, type: "company" as const, id: "10" }
    ]
    expect(neighbourKeys(wanted, records).map((k) => `${k.type}:${k.id}`)).toEqual(["company:10", "contact:1", "contact:2"])
    const d = decideUpserts(wanted, loaded(records, { links: [{ entity: "business", crmId: "10", commerceId: "b-10" }] }))
    expect(d.publish.map((m) => m.type)).toEqual(["tocommerce.business.upsert", "tocommerce.user.upsert", "tocommerce.user.upsert"])
    const user = upserts(d.publish).find((u) => u.crmId === "1")
    expect(user?.links).toEqual({ businessId: "10" })
    const businessLink = commerceWrites("user", "1", { businessId: "b-10" }, NOW).find((e) => e.property === "businessId")
    expect(d.ledger).toContainEqual(businessLink!)
  })
})
