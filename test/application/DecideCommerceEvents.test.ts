// Flow C's pure decisions: no services, only what a batch loaded.
import { describe, expect, test } from "bun:test"
import { coalesce, type EventInput } from "../../src/application/CoalesceCommerceEvents.ts"
import type { IdsAssigned } from "../../src/application/CommerceMessages.ts"
import { type Outcome, refusalOf } from "../../src/application/CrmBatchWrites.ts"
import { knownKeys, linkIndex, planWrites, screen, splitEchoes } from "../../src/application/DecideCommerceEvents.ts"
import { commerceWrites, crmWrites, ledgerOf } from "../../src/application/LedgerEntries.ts"
import type { CrmSnapshot } from "../../src/application/ports/Snapshots.ts"
import { settle } from "../../src/application/SettleCommerceWrites.ts"
import type { CrmRecord } from "../../src/application/ShopUpserts.ts"
import type { CompanyId, ContactId } from "../../src/domain/Ids.ts"
import { toCrmProperties } from "../../src/domain/Mapping.ts"
import { aBusiness, aUser } from "../domain/mothers.ts"

const NOW = 1_000_000
const at = (iso: string) => Date.parse(iso)
const event = (
  index: number,
  record: Record<string, unknown> | undefined,
  action: EventInput["action"] = "updated",
  id = String(record?.["id"] ?? "u1"),
  occurredAt = 0
): EventInput => ({
  index,
  entity: "user",
  action,
  lane: "live",
  event: { id, occurredAt, ...(record === undefined ? {} : { payload: record }) }
})
const noOutcomes = { updates: new Map(), upserts: new Map() }
const contact = (id: string, properties: Record<string, string>, companyIds: ReadonlyArray<string> = []): CrmRecord => ({
  type: "contact",
  record: { id: id as ContactId, properties, updatedAt: 100, companyIds: companyIds as ReadonlyArray<CompanyId> }
})

describe("coalesce: each message alone, then one effect per object", () => {
  test("a batch with one invalid record settles only that one", () => {
    const c = coalesce([event(0, aUser({ id: "u1" })), event(1, aUser({ id: "u2", email: "nope" })), event(2, aUser({ id: "u3" }))], new Map())
    expect([...c.failed.keys()]).toEqual([1])
    expect(c.failed.get(1)).toMatchObject({ retryable: false })
    expect(c.failed.get(1)?.reason).toContain("email")
    expect(c.updates.map((u) => u.id)).toEqual(["u1", "u3"])
  })

  test("two events of one object coalesce into one effect: the newest version", () => {
    const older = aUser({ firstName: "Old", updatedAt: "2024-06-01T00:00:00.000Z" })
    const newer = aUser({ firstName: "New", updatedAt: "2024-06-02T00:00:00.000Z" })
    const c = coalesce([event(0, newer), event(1, older)], new Map())
    expect(c.updates).toHaveLength(1)
    expect(c.updates[0]).toMatchObject({ index: 0, version: at("2024-06-02T00:00:00.000Z") })
    expect(c.failed.size).toBe(0)
  })

  test("an id-only event is served by the fetched records; one the platform does not serve yet waits", () => {
    const c = coalesce([event(0, undefined, "updated", "u1"), event(1, undefined, "updated", "u2")], new Map([["user:u1", aUser({ id: "u1" })]]))
    expect(c.updates.map((u) => u.id)).toEqual(["u1"])
    expect(c.failed.get(1)).toMatchObject({ retryable: true })
  })

  test("a deletion buries older versions in the batch and sends a newer one round again", () => {
    const deletedAt = at("2024-06-05T00:00:00.000Z")
    const c = coalesce([event(0, aUser({ updatedAt: "2024-06-01T00:00:00.000Z" })), event(1, undefined, "deleted", "u1", deletedAt)], new Map())
    expect(c).toMatchObject({ updates: [], deletions: [{ entity: "user", id: "u1", deletedAt }] })
    expect(c.failed.size).toBe(0)
    const later = coalesce([event(0, aUser({ updatedAt: "2024-06-09T00:00:00.000Z" })), event(1, undefined, "deleted", "u1", deletedAt)], new Map())
    expect(later.failed.get(0)).toMatchObject({ retryable: true })
  })
})

describe("screen and echoes", () => {
  test("an older version never overwrites a newer one", () => {
    const c = coalesce([event(0, aUser({ updatedAt: "2024-06-01T00:00:00.000Z" }))], new Map())
    const seen = [{ entity: "user" as const, id: "u1", version: at("2024-06-02T00:00:00.000Z"), record: aUser() }]
    expect(screen(c.updates, seen, new Map())).toEqual([])
    const tombstone = [{ entity: "user" as const, id: "u1", version: at("2024-06-05T00:00:00.000Z"), record: null }]
    expect(screen(c.updates, tombstone, new Map())).toEqual([])
  })

  test("an update with the same version (second precision) but other content is news; the same content is not", () => {
    const first = aUser({ firstName: "One", updatedAt: "2024-06-02T00:00:00.000Z" })
    const second = aUser({ firstName: "Two", updatedAt: "2024-06-02T00:00:00.000Z" })
    const seen = [{ entity: "user" as const, id: "u1", version: at("2024-06-02T00:00:00.000Z"), record: first }]
    expect(screen(coalesce([event(0, second)], new Map()).updates, seen, new Map()).map((l) => l.record["firstName"])).toEqual(["Two"])
    expect(screen(coalesce([event(0, { ...first })], new Map()).updates, seen, new Map())).toEqual([])
    // Both in one batch: the later delivery carries the later state.
    expect(coalesce([event(0, first), event(1, second)], new Map()).updates.map((u) => u.record["firstName"])).toEqual(["Two"])
    expect(coalesce([event(0, first), event(1, { ...first })], new Map()).updates.map((u) => u.index)).toEqual([0])
  })

  test("the shop's echo of our own write is dropped without any write: only the link and its version are remembered", () => {
    const record = aUser({ crmId: "7" })
    const live = screen(coalesce([event(0, record)], new Map()).updates, [], new Map())
    expect(knownKeys(live).snapshots).toEqual([{ type: "contact", id: "7" }])
    const { echoes, fresh } = splitEchoes(live, ledgerOf(commerceWrites("user", "7", record, NOW), NOW))
    expect(fresh).toEqual([])
    const plan = planWrites(fresh, [], { records: new Map(), snapshots: [], links: new Map(), ledger: ledgerOf([], NOW), now: NOW })
    expect([plan.ledger, [...plan.updates], [...plan.upserts], [...plan.archives]]).toEqual([[], [], [], []])
    const settled = settle(plan, echoes, [], noOutcomes, refusalOf, NOW)
    expect(settled).toMatchObject({ ledger: [], crmSnapshots: [], associations: [], publish: [], links: [{ entity: "user", crmId: "7", commerceId: "u1" }] })
    expect(settled.commerceSnapshots.map((s) => s.id)).toEqual(["u1"])
  })
})

describe("planWrites: a shop value older than our last write to it", () => {
  // Both sides write one record at once: HubSpot's first name F3 then F4 (flow A sends both to
  // the shop), the shop's last name L4. The shop's event still shows F3: it had not applied F4.
  const links = linkIndex([{ entity: "user", crmId: "7", commerceId: "u-known" }])
  const sent = (firstName: string, at: number) => commerceWrites("user", "7", aUser({ id: "u-known", firstName, lastName: "L3" }), at)
  const ledger = ledgerOf([...sent("F3", NOW - 2_000), ...sent("F4", NOW - 1_000)], NOW)
  const hubspot = toCrmProperties("user", aUser({ id: "u-known", firstName: "F4", lastName: "L3" })) as Record<string, string>
  const records = new Map([["contact:7", contact("7", hubspot)]])
  const snapshots = [{ type: "contact", id: "7", version: 100, record: contact("7", hubspot).record } as CrmSnapshot]
  const planFor = (seenFirstName: string) => {
    const [live] = screen(
      coalesce([event(0, aUser({ id: "u-known", firstName: "F3", lastName: "L4", updatedAt: "2024-06-02T00:00:00.000Z" }))], new Map()).updates,
      [],
      links
    )
    const seen = aUser({ id: "u-known", firstName: seenFirstName, lastName: "L3" })
    return planWrites([{ ...(live as NonNullable<typeof live>), seen }], [], { records, snapshots, links, ledger, now: NOW })
  }

  test("is not written back over the CRM's newer value; the shop's own change is", () => {
    // The shop was last seen with F3 (the echo of our older write): it has not applied F4 yet.
    expect(planFor("F3").updates.get("contact")).toEqual([{ id: "7", properties: { lastname: "L4" } }])
  })

  test("is written once the shop was seen holding our last write: a person set it back (A→B→A)", () => {
    expect(planFor("F4").updates.get("contact")).toEqual([{ id: "7", properties: { firstname: "F3", lastname: "L4" } }])
  })
})

describe("planWrites: HubSpot holds our own write, its snapshot never saved", () => {
  // A replica wrote L3.2 to HubSpot and was killed before it saved the CRM snapshot: the base
  // still says L2. The shop has L3.3 since. L3.2 is no CRM change (the ledger says we wrote it),
  // so the CRM, which owns lastname in a conflict, must not keep it over the shop's newer value.
  const links = linkIndex([{ entity: "user", crmId: "7", commerceId: "u-known" }])
  const hubspot = toCrmProperties("user", aUser({ id: "u-known", lastName: "L3.2" })) as Record<string, string>
  const records = new Map([["contact:7", contact("7", hubspot)]])
  const stale = toCrmProperties("user", aUser({ id: "u-known", lastName: "L2" })) as Record<string, string>
  const snapshots = [{ type: "contact", id: "7", version: 90, record: contact("7", stale).record } as CrmSnapshot]
  const [live] = screen(coalesce([event(0, aUser({ id: "u-known", lastName: "L3.3" }))], new Map()).updates, [], links)
  const planWith = (ledger: ReturnType<typeof ledgerOf>) => planWrites([live as NonNullable<typeof live>], [], { records, snapshots, links, ledger, now: NOW })

  test("the shop's newer value is written", () => {
    const ours = ledgerOf(crmWrites("contact", "7", { lastname: "L3.2" }, NOW - 1_000), NOW)
    expect(planWith(ours).updates.get("contact")).toEqual([{ id: "7", properties: { lastname: "L3.3" } }])
  })

  test("a value a person set in HubSpot still wins the field the CRM owns", () => {
    expect(planWith(ledgerOf([], NOW)).updates.get("contact")).toBeUndefined()
  })

  test("the ledger keys asked for: our writes to the shop (echoes) and, apart, to HubSpot (the merge)", () => {
    const keys = knownKeys([live as NonNullable<typeof live>])
    expect([keys.ledger, keys.crmLedger]).toEqual([[{ side: "commerce", objectKey: "user:crm:7" }], [{ side: "crm", objectKey: "contact:7" }]])
  })
})

describe("planWrites and settle", () => {
  const links = linkIndex([
    { entity: "user", crmId: "7", commerceId: "u-known" },
    { entity: "business", crmId: "50", commerceId: "b1" }
  ])

  test("a known record is updated by its id, a new one upserted on its commerce id; a missing link target waits without a write", () => {
    const batch = [
      event(0, aUser({ id: "u-known", businessId: "b1" })),
      event(1, aUser({ id: "u-new", email: "new@example.com" })),
      event(2, aUser({ id: "u-early", businessId: "b-late" }))
    ]
    const live = screen(coalesce(batch, new Map()).updates, [], links)
    const records = new Map([["contact:7", contact("7", { email: "old@example.com" })]])
    const plan = planWrites(live, [], { records, snapshots: [], links, ledger: ledgerOf([], NOW), now: NOW })
    expect(plan.updates.get("contact")?.map((u) => u.id)).toEqual(["7"])
    expect(plan.upserts.get("contact")?.map((u) => u.commerceId)).toEqual(["u-new"])
    expect(plan.failed.get(2)).toMatchObject({ retryable: true, reason: "business b-late is not in the CRM yet" })
    expect(plan.ledger.every((e) => e.objectKey === "contact:7")).toBe(true)
  })

  test("a record the CRM refuses fails its message alone; a created one is linked, associated and its id sent back", () => {
    const batch = [event(0, aUser({ id: "u-a", businessId: "b1" })), event(1, aUser({ id: "u-b", email: "b@example.com" }))]
    const live = screen(coalesce(batch, new Map()).updates, [], links)
    const plan = planWrites(live, [], { records: new Map(), snapshots: [], links, ledger: ledgerOf([], NOW), now: NOW })
    const upserts = new Map([
      [
        "contact" as const,
        new Map([
          ["u-a", { _tag: "Applied" as const, id: "8", created: true }],
          ["u-b", { _tag: "Rejected" as const, retryable: false, message: "duplicate e-mail" }]
        ])
      ]
    ])
    const settled = settle(plan, [], [], { updates: new Map(), upserts }, refusalOf, NOW)
    expect([...settled.failed]).toEqual([[1, { retryable: false, reason: "the CRM refused user u-b: duplicate e-mail" }]])
    expect(settled.links).toEqual([{ entity: "user", crmId: "8", commerceId: "u-a" }])
    expect(settled.associations).toEqual([{ fromType: "contact", fromId: "8", toType: "company", toId: "50" }])
    expect(settled.publish.map((m) => m.payload as IdsAssigned)).toEqual([{ entity: "user", crmId: "8", commerceId: "u-a" }])
    expect(settled.commerceSnapshots.map((s) => s.id)).toEqual(["u-a"])
    expect(settled.ledger.every((e) => e.objectKey === "contact:8")).toBe(true)
  })

  test("a user and its new business in one batch: both written in one round, then associated; a refused business sends the user round again", () => {
    const biz: EventInput = {
      index: 0,
      entity: "business",
      action: "created",
      lane: "live",
      event: { id: "b-new", occurredAt: 1, payload: aBusiness({ id: "b-new" }) }
    }
    const batch = [biz, event(1, aUser({ id: "u-with", businessId: "b-new" }))]
    const live = screen(coalesce(batch, new Map()).updates, [], new Map())
    const plan = planWrites(live, [], { records: new Map(), snapshots: [], links: new Map(), ledger: ledgerOf([], NOW), now: NOW })
    expect(plan.failed.size).toBe(0)
    expect([...plan.upserts.keys()].sort()).toEqual(["company", "contact"])
    const outcomes = (business: "Applied" | "Rejected") => ({
      updates: new Map(),
      upserts: new Map<"company" | "contact", ReadonlyMap<string, Outcome>>([
        [
          "company",
          new Map<string, Outcome>([
            ["b-new", business === "Applied" ? { _tag: "Applied", id: "60", created: true } : { _tag: "Rejected", retryable: false, message: "bad domain" }]
          ])
        ],
        ["contact", new Map<string, Outcome>([["u-with", { _tag: "Applied", id: "61", created: true }]])]
      ])
    })
    const ok = settle(plan, [], [], outcomes("Applied"), refusalOf, NOW)
    expect(ok.failed.size).toBe(0)
    expect(ok.associations).toEqual([{ fromType: "contact", fromId: "61", toType: "company", toId: "60" }])
    const refused = settle(plan, [], [], outcomes("Rejected"), refusalOf, NOW)
    expect([...refused.failed.keys()].sort()).toEqual([0, 1])
    expect(refused.failed.get(1)).toMatchObject({ retryable: true, reason: "business b-new is not in the CRM yet" })
    expect([refused.links, refused.associations, refused.commerceSnapshots, refused.crmSnapshots]).toEqual([[], [], [], []])
  })

  test("a shop deletion archives the linked record, remembers that as ours, and leaves a tombstone", () => {
    const c = coalesce([event(0, undefined, "deleted", "u-known", 500)], new Map())
    const plan = planWrites([], c.deletions, { records: new Map(), snapshots: [], links, ledger: ledgerOf([], NOW), now: NOW })
    expect([...plan.archives]).toEqual([["contact", ["7"]]])
    expect(plan.ledger.map((e) => e.property)).toEqual(["crm-sync:archived"])
    expect(settle(plan, [], c.deletions, noOutcomes, refusalOf, NOW).commerceSnapshots).toEqual([{ entity: "user", id: "u-known", version: 500, record: null }])
  })
})
