// The counting wrapper counts one round trip per operation run, whatever the number of records.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import type { CompanyId } from "../../src/domain/Ids.ts"
import { makeStoreCounter } from "../support/CountingStore.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

test("counts each operation run once per call, per port, and only when run", async () => {
  const counter = makeStoreCounter()
  const companies = Array.from({ length: 50 }, (_, i) => ({
    type: "company" as const,
    id: String(i),
    version: 1,
    record: { id: String(i) as CompanyId, properties: {}, updatedAt: 1, contactIds: [] }
  }))
  const found = await Effect.runPromise(
    Effect.gen(function* () {
      const snapshots = yield* Snapshots
      const built = snapshots.getCrm([]) // built, never run: not counted
      yield* snapshots.saveCrm(companies)
      yield* (yield* IdLinks).link(companies.map((c) => ({ entity: "business" as const, crmId: c.id, commerceId: `b${c.id}` })))
      void built
      return yield* snapshots.getCrm(companies.map((c) => ({ type: c.type, id: c.id })))
    }).pipe(Effect.provide(counter.layer(memoryStorePorts())))
  )
  expect(found).toHaveLength(50)
  expect(counter.counts()).toEqual({ "Snapshots.saveCrm": 1, "Snapshots.getCrm": 1, "IdLinks.link": 1 })
  expect(counter.total("Snapshots")).toBe(2)
  expect(counter.total()).toBe(3)
  counter.reset()
  expect(counter.total()).toBe(0)
})
