// The HubSpot simulator's indexes (ordered lists, value lookups, edges by from-object) answer as a
// scan of every object and edge would, whatever sequence of creates, updates, archives, merges and
// (un)associations came before, and whether a lookup's index was built before or after them.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { crmUi } from "../support/hubspot/CrmUi.ts"
import type { ObjectType } from "../support/hubspot/ObjectTypes.ts"
import { type AssociationEdge, type CrmObject, SimStore } from "../support/hubspot/SimStore.ts"

const types: ReadonlyArray<ObjectType> = ["contacts", "companies"]
const emails = ["a@x.io", "b@x.io", "c@x.io"]
const exts = ["e1", "e2", "e3"]

type Op =
  | { kind: "create"; t: ObjectType; email: number; upper: boolean; ext: number }
  | { kind: "update"; t: ObjectType; pick: number; email: number; upper: boolean; ext: number }
  | { kind: "archive"; t: ObjectType; pick: number }
  | { kind: "merge"; t: ObjectType; pick: number; other: number }
  | { kind: "associate"; pick: number; other: number }
  | { kind: "unassociate"; pick: number; other: number }

const t = fc.constantFrom(...types)
const pick = fc.nat(20)
const value = fc.integer({ min: -1, max: 2 }) // -1: none (or removed, in an update)
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), t, email: value, upper: fc.boolean(), ext: value }),
  fc.record({ kind: fc.constant("create" as const), t, email: value, upper: fc.boolean(), ext: value }),
  fc.record({ kind: fc.constant("update" as const), t, pick, email: value, upper: fc.boolean(), ext: value }),
  fc.record({ kind: fc.constant("archive" as const), t, pick }),
  fc.record({ kind: fc.constant("merge" as const), t, pick, other: pick }),
  fc.record({ kind: fc.constant("associate" as const), pick, other: pick }),
  fc.record({ kind: fc.constant("unassociate" as const), pick, other: pick })
)

// What the store answered before it had indexes: scans of every object and edge.
const scanLive = (store: SimStore, type: ObjectType, archived = false): CrmObject[] =>
  [...store.objects.values()]
    .filter((o) => o.objectType === type && o.archived === archived && o.mergedInto === undefined)
    .sort((a, b) => Number(a.id) - Number(b.id))
const scanValue = (store: SimStore, type: ObjectType, name: string, v: string): CrmObject | undefined => {
  const wanted = name === "email" ? v.toLowerCase() : v
  return scanLive(store, type).find((o) => {
    const held = o.properties[name]
    return held !== undefined && (name === "email" ? held.toLowerCase() : held) === wanted
  })
}
const scanEdges = (store: SimStore, type: ObjectType, id: string, toType?: ObjectType): AssociationEdge[] =>
  ((store.snapshot() as { associations: AssociationEdge[] }).associations ?? []).filter(
    (e) => e.fromType === type && e.fromId === id && (toType === undefined || e.toType === toType)
  )

const emailOf = (n: number, upper: boolean) => {
  const email = emails[n] ?? ""
  return upper ? email.toUpperCase() : email
}

const apply = (store: SimStore, o: Op): void => {
  const ui = crmUi(store)
  const nth = (type: ObjectType, n: number) => {
    const live = scanLive(store, type)
    return live.length === 0 ? undefined : live[n % live.length]
  }
  const props = (type: ObjectType, email: number, upper: boolean, ext: number, update: boolean): Record<string, string> => ({
    ...(type === "contacts" && (email >= 0 || update) ? { email: email < 0 ? "" : emailOf(email, upper) } : {}),
    ...(ext >= 0 || update ? { ext_id: ext < 0 ? "" : (exts[ext] ?? "") } : {})
  })
  switch (o.kind) {
    case "create":
      ui.create(o.t, props(o.t, o.email, o.upper, o.ext, false))
      return
    case "update": {
      const target = nth(o.t, o.pick)
      if (target !== undefined) ui.update(o.t, target.id, props(o.t, o.email, o.upper, o.ext, true))
      return
    }
    case "archive": {
      const target = nth(o.t, o.pick)
      if (target !== undefined) ui.archive(o.t, target.id)
      return
    }
    case "merge": {
      const [a, b] = [nth(o.t, o.pick), nth(o.t, o.other)]
      if (a !== undefined && b !== undefined && a.id !== b.id) ui.merge(o.t, a.id, b.id)
      return
    }
    case "associate":
    case "unassociate": {
      const [contact, company] = [nth("contacts", o.pick), nth("companies", o.other)]
      if (contact === undefined || company === undefined) return
      if (o.kind === "associate") ui.associate("contacts", contact.id, "companies", company.id)
      else ui.unassociate("contacts", contact.id, "companies", company.id)
    }
  }
}

const expectAnswersAsScans = (store: SimStore): void => {
  for (const type of types) {
    expect(store.objectsOf(type)).toEqual(scanLive(store, type))
    expect(store.objectsOf(type, true)).toEqual(scanLive(store, type, true))
    const ids = [...store.objects.values()].map((o) => Number(o.id))
    for (const archived of [false, true]) {
      for (const after of [0, ...ids, ...ids.map((id) => id + 1)]) {
        const scanned = scanLive(store, type, archived).filter((o) => Number(o.id) >= after)
        expect(store.objectsFrom(type, archived, after, 2)).toEqual(scanned.slice(0, 2))
      }
    }
    for (const [n, email] of emails.entries()) {
      for (const v of [email, emailOf(n, true)]) expect(store.findByValue(type, "email", v)).toBe(scanValue(store, type, "email", v))
    }
    for (const ext of exts) expect(store.findByValue(type, "ext_id", ext)).toBe(scanValue(store, type, "ext_id", ext))
    for (const o of store.objects.values()) {
      expect(store.edgesFrom(type, o.id)).toEqual(scanEdges(store, type, o.id))
      expect(store.edgesFrom(type, o.id, "contacts")).toEqual(scanEdges(store, type, o.id, "contacts"))
    }
  }
}

const storeWithExtId = () => {
  const store = new SimStore()
  for (const type of types) {
    const group = type === "contacts" ? "contactinformation" : "companyinformation"
    const base = store.propertyDefs(type).get("hs_object_id")
    if (base !== undefined) store.propertyDefs(type).set("ext_id", { ...base, name: "ext_id", type: "string", groupName: group, hasUniqueValue: true })
  }
  return store
}

describe("SimStore indexes", () => {
  test("answer as scans after every step (indexes built at the first step, then kept up to date)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const store = storeWithExtId()
        expectAnswersAsScans(store)
        for (const o of ops) {
          apply(store, o)
          expectAnswersAsScans(store)
        }
      }),
      { numRuns: 150 }
    )
  })

  test("answer as scans when an index is first built after the changes", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const store = storeWithExtId()
        for (const o of ops) apply(store, o)
        expectAnswersAsScans(store)
      }),
      { numRuns: 200 }
    )
  })

  test("an email found in any case; a changed, archived or merged-away value no longer found", () => {
    const store = storeWithExtId()
    const ui = crmUi(store)
    const a = ui.create("contacts", { email: "Ann@Example.com", ext_id: "e1" })
    const b = ui.create("contacts", { email: "bob@example.com" })
    expect(store.findByValue("contacts", "email", "ann@example.COM")?.id).toBe(a.id)
    ui.update("contacts", a.id, { email: "ann2@example.com" })
    expect(store.findByValue("contacts", "email", "ann@example.com")).toBeUndefined()
    expect(store.findByValue("contacts", "email", "ANN2@example.com")?.id).toBe(a.id)
    // The merged-away record's unique value moves to the survivor (it had none).
    ui.merge("contacts", b.id, a.id)
    expect(store.findByValue("contacts", "ext_id", "e1")?.id).toBe(b.id)
    expect(store.find("contacts", "e1", "ext_id")?.id).toBe(b.id)
    ui.archive("contacts", b.id)
    expect(store.findByValue("contacts", "ext_id", "e1")).toBeUndefined()
    expect(store.objectsFrom("contacts", true, 0, 10).map((o) => o.id)).toEqual([b.id])
    expect(store.objectsFrom("contacts", false, 0, 10)).toEqual([])
  })

  test("reset empties every index", () => {
    const store = storeWithExtId()
    const ui = crmUi(store)
    const c = ui.create("contacts", { email: "x@example.com" })
    const co = ui.create("companies", { name: "X" })
    ui.associate("contacts", c.id, "companies", co.id)
    expect(store.findByValue("contacts", "email", "x@example.com")).toBeDefined()
    store.reset()
    expect(store.findByValue("contacts", "email", "x@example.com")).toBeUndefined()
    expect(store.edgesFrom("contacts", c.id)).toEqual([])
    expect(store.objectsOf("contacts")).toEqual([])
    expect(store.objectsFrom("companies", false, 0, 10)).toEqual([])
  })
})
