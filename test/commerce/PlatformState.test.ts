// The commerce simulator's entity store keeps its entities in id order and indexed by crmId: its
// pages, listings and crmId lookups answer as a sort and a scan of every entity would, whatever
// puts (new ids, changed crmIds, deletions) came before.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { compareIds } from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import type { IdFilter } from "../../src/application/ports/CommerceApi.ts"
import { PlatformState, type SimEntity } from "../support/commerce/PlatformState.ts"

const ids = Array.from({ length: 14 }, (_, i) => (i < 7 ? `u-${i + 1}` : `s-${String(i).padStart(3, "0")}`))
const crmIds = ["c1", "c2", "c3", "c4"]
const days = ["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"]

const put = fc.record({
  id: fc.constantFrom(...ids),
  crmId: fc.option(fc.constantFrom(...crmIds), { nil: undefined }),
  createdAt: fc.constantFrom(...days),
  deleted: fc.boolean()
})
const bound = fc.option(fc.constantFrom(...ids, "t", "a"), { nil: undefined })
const filter: fc.Arbitrary<IdFilter> = fc
  .record({
    fromId: bound,
    toId: bound,
    createdFrom: fc.option(fc.constantFrom(...days), { nil: undefined }),
    createdTo: fc.option(fc.constantFrom(...days), { nil: undefined })
  })
  .map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as IdFilter)

// What the store answered before it kept an order and an index: a sort and scans.
const scanPage = (all: ReadonlyArray<SimEntity>, f: IdFilter, cursor: string | undefined, limit: number) => {
  const created = (e: SimEntity) => String(e.record["createdAt"] ?? e.record["updatedAt"] ?? "")
  const found = [...all]
    .sort((a, b) => compareIds(a.id, b.id))
    .filter(
      (e) =>
        !e.deleted &&
        (f.fromId === undefined || compareIds(e.id, f.fromId) >= 0) &&
        (f.toId === undefined || compareIds(e.id, f.toId) <= 0) &&
        (f.createdFrom === undefined || created(e) >= f.createdFrom) &&
        (f.createdTo === undefined || created(e) < f.createdTo) &&
        (cursor === undefined || compareIds(e.id, cursor) > 0)
    )
    .map((e) => e.id)
  const page = found.slice(0, Math.max(0, limit))
  return { ids: page, next: found.length > page.length ? page.at(-1) : undefined }
}

describe("commerce PlatformState", () => {
  test("pages, lists and finds by crmId as a sort and a scan would", () => {
    fc.assert(
      fc.property(
        fc.array(put, { maxLength: 40 }),
        fc.array(fc.record({ filter, cursor: bound, limit: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 8 }),
        (puts, pages) => {
          const state = new PlatformState()
          const inOrder: Array<SimEntity> = [] // first-put order, as a scan of the store meets them
          for (const p of puts) {
            const record = { id: p.id, createdAt: p.createdAt, ...(p.crmId === undefined ? {} : { crmId: p.crmId }) }
            const e: SimEntity = { entity: "user", id: p.id, record, crmVersion: undefined, deleted: p.deleted }
            state.put(e)
            const at = inOrder.findIndex((x) => x.id === p.id)
            if (at < 0) inOrder.push(e)
            else inOrder[at] = e
          }
          expect(state.list("user")).toEqual([...inOrder].sort((a, b) => compareIds(a.id, b.id)))
          for (const crmId of crmIds) expect(state.byCrmId("user", crmId)).toBe(inOrder.find((e) => !e.deleted && e.record["crmId"] === crmId))
          for (const { filter: f, cursor, limit } of pages) expect(state.page("user", f, cursor, limit)).toEqual(scanPage(inOrder, f, cursor, limit))
          expect(state.list("business")).toEqual([])
        }
      ),
      { numRuns: 400 }
    )
  })

  test("a seed is listed in id order", () => {
    const state = new PlatformState({ user: [{ id: "u-10" }, { id: "u-2" }, { id: "u-1" }] })
    expect(state.list("user").map((e) => e.id)).toEqual(["u-1", "u-10", "u-2"])
    expect(state.page("user", {}, "u-1", 1)).toEqual({ ids: ["u-10"], next: "u-10" })
  })
})
