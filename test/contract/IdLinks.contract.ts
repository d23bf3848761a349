// The IdLinks contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type IdLink, IdLinks } from "../../src/application/ports/IdLinks.ts"
import { portRunner } from "./runPort.ts"

const sorted = (links: ReadonlyArray<IdLink>) =>
  [...links].sort((a, b) => `${a.entity}:${a.crmId}:${a.commerceId}`.localeCompare(`${b.entity}:${b.crmId}:${b.commerceId}`))
const crm = (entity: IdLink["entity"], ...ids: ReadonlyArray<string>) => ids.map((id) => ({ entity, id }))

export const idLinksContract = (name: string, makeLayer: () => Layer.Layer<IdLinks, unknown>): void => {
  const run = portRunner(IdLinks, makeLayer)

  describe(`IdLinks contract: ${name}`, () => {
    test("links many at once and finds them by either side in one query", async () => {
      const links: ReadonlyArray<IdLink> = Array.from({ length: 50 }, (_, i) => ({ entity: "user", crmId: `c${i}`, commerceId: `u${i}` }))
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.link([...links, { entity: "business", crmId: "c0", commerceId: "b0" }])
          return {
            byCrm: yield* s.find({ crmIds: crm("user", ...links.map((l) => l.crmId), "nobody") }),
            both: yield* s.find({ crmIds: crm("user", "c1", "c2"), commerceIds: crm("user", "u2", "u3").concat(crm("business", "b0")) }),
            none: yield* s.find({}),
            empty: yield* s.find({ crmIds: [], commerceIds: [] })
          }
        })
      )
      expect(sorted(out.byCrm)).toEqual(sorted(links))
      expect(sorted(out.both)).toEqual(
        sorted([
          { entity: "user", crmId: "c1", commerceId: "u1" },
          { entity: "user", crmId: "c2", commerceId: "u2" },
          { entity: "user", crmId: "c3", commerceId: "u3" },
          { entity: "business", crmId: "c0", commerceId: "b0" }
        ])
      )
      expect(out.none).toEqual([])
      expect(out.empty).toEqual([])
    })

    test("re-linking either id moves its link; entities are independent", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.link([
            { entity: "business", crmId: "c1", commerceId: "b1" },
            { entity: "business", crmId: "c5", commerceId: "b5" },
            { entity: "user", crmId: "c1", commerceId: "u1" }
          ])
          yield* s.link([
            { entity: "business", crmId: "c2", commerceId: "b1" }, // b1 moves from c1 to c2
            { entity: "business", crmId: "c5", commerceId: "b6" } // c5 moves from b5 to b6
          ])
          return yield* s.find({ crmIds: crm("business", "c1", "c2", "c5"), commerceIds: crm("business", "b1", "b5", "b6").concat(crm("user", "u1")) })
        })
      )
      expect(sorted(out)).toEqual(
        sorted([
          { entity: "business", crmId: "c2", commerceId: "b1" },
          { entity: "business", crmId: "c5", commerceId: "b6" },
          { entity: "user", crmId: "c1", commerceId: "u1" }
        ])
      )
    })

    test("within one call the last pairing of an id wins", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.link([
            { entity: "user", crmId: "c1", commerceId: "u1" },
            { entity: "user", crmId: "c2", commerceId: "u1" }
          ])
          return yield* s.find({ crmIds: crm("user", "c1", "c2"), commerceIds: crm("user", "u1") })
        })
      )
      expect(out).toEqual([{ entity: "user", crmId: "c2", commerceId: "u1" }])
    })

    test("within one call a pairing replaces both earlier pairings of its two ids", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.link([
            { entity: "user", crmId: "c1", commerceId: "u1" },
            { entity: "user", crmId: "c2", commerceId: "u2" },
            { entity: "user", crmId: "c1", commerceId: "u2" }
          ])
          return yield* s.find({ crmIds: crm("user", "c1", "c2"), commerceIds: crm("user", "u1", "u2") })
        })
      )
      expect(out).toEqual([{ entity: "user", crmId: "c1", commerceId: "u2" }])
    })

    test("concurrent links of one commerce id leave exactly one link", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* Effect.all(
            ["c1", "c2", "c3", "c4"].map((crmId) => s.link([{ entity: "user", crmId, commerceId: "u1" }])),
            { concurrency: "unbounded" }
          )
          return yield* s.find({ crmIds: crm("user", "c1", "c2", "c3", "c4"), commerceIds: crm("user", "u1") })
        })
      )
      expect(out).toHaveLength(1)
      expect(out[0]?.commerceId).toBe("u1")
    })

    test("repoint moves a merged-away id's link to the survivor, unless the survivor has one", async () => {
      const out = await run((s) =>
        Effect.gen(function* () {
          yield* s.link([
            { entity: "business", crmId: "c2", commerceId: "b1" },
            { entity: "business", crmId: "c3", commerceId: "b3" }
          ])
          yield* s.repoint("business", ["c7", "c3"], "c9")
          const repointed = yield* s.find({ crmIds: crm("business", "c3", "c9"), commerceIds: crm("business", "b3") })
          yield* s.repoint("business", ["c2"], "c9") // c9 already linked: c2 keeps b1
          yield* s.repoint("user", ["c2"], "c9") // no user links: nothing happens
          return { repointed, kept: yield* s.find({ crmIds: crm("business", "c2").concat(crm("user", "c9")) }) }
        })
      )
      expect(out.repointed).toEqual([{ entity: "business", crmId: "c9", commerceId: "b3" }])
      expect(out.kept).toEqual([{ entity: "business", crmId: "c2", commerceId: "b1" }])
    })
  })
}
