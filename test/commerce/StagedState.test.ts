// A batch's staged view of the commerce simulator's store answers as the store would with the
// staged entities stored, leaves the store as it was until committed, and once committed the
// store answers as if each entity had been put in turn.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { PlatformState, type SimEntity } from "../support/commerce/PlatformState.ts"
import { StagedState } from "../support/commerce/StagedState.ts"

const ids = ["u-1", "u-2", "u-3", "u-4", "u-5", "s-1"]
const crmIds = ["c1", "c2", "c3"]

const entity = fc
  .record({ id: fc.constantFrom(...ids), crmId: fc.option(fc.constantFrom(...crmIds), { nil: undefined }), deleted: fc.boolean(), n: fc.nat(9) })
  .map(
    (p): SimEntity => ({
      entity: "user",
      id: p.id,
      record: { id: p.id, n: p.n, ...(p.crmId === undefined ? {} : { crmId: p.crmId }) },
      crmVersion: undefined,
      deleted: p.deleted
    })
  )

const storeOf = (puts: ReadonlyArray<SimEntity>) => {
  const state = new PlatformState()
  for (const e of puts) state.put(e)
  return state
}

const answers = (state: { get: PlatformState["get"]; byCrmId: PlatformState["byCrmId"] }) => ({
  byId: ids.map((id) => state.get("user", id)),
  byCrm: crmIds.map((crmId) => state.byCrmId("user", crmId))
})

describe("commerce StagedState", () => {
  test("answers as the store with the staged entities stored; the store changes only at commit", () => {
    fc.assert(
      fc.property(fc.array(entity, { maxLength: 12 }), fc.array(entity, { minLength: 1, maxLength: 12 }), (stored, staging) => {
        const base = storeOf(stored)
        const before = base.list("user")
        const staged = new StagedState(base)
        staging.forEach((e, i) => {
          staged.put(e)
          expect(answers(staged)).toEqual(answers(storeOf([...stored, ...staging.slice(0, i + 1)])))
        })
        expect(base.list("user")).toEqual(before)
        staged.commit()
        const reference = storeOf([...stored, ...staging])
        expect(answers(base)).toEqual(answers(reference))
        expect(base.list("user")).toEqual(reference.list("user"))
      }),
      { numRuns: 400 }
    )
  })

  test("a staged view allocates ids the store and the batch have not used", () => {
    const base = new PlatformState({ user: [{ id: "u-1" }] })
    const staged = new StagedState(base)
    staged.put({ entity: "user", id: "u-3", record: { id: "u-3" }, crmVersion: undefined, deleted: false })
    expect([staged.newId("user"), staged.newId("user")]).toEqual(["u-2", "u-4"])
  })
})
