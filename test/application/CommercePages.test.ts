// A commerce → CRM backfill page is listed from the shop in as few calls as its list allows.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import { sourcePage } from "../../src/application/BackfillPages.ts"
import type { BackfillJob } from "../../src/application/ports/BackfillJobs.ts"
import { CommerceApi } from "../../src/application/ports/CommerceApi.ts"
import { Crm } from "../../src/application/ports/Crm.ts"

const job: BackfillJob = {
  id: "j1",
  definition: { direction: "commerce-to-crm", types: ["user"], pageSize: 500, dryRun: false, kind: "backfill" },
  state: "running",
  waitUntil: undefined,
  createdAt: 1,
  updatedAt: 1
}

test("a page of 500 shop users is one list call; the next page goes on from its last id", async () => {
  const users = Array.from({ length: 1200 }, (_, i) => ({ id: `s-${String(i).padStart(5, "0")}` }))
  const limits: Array<number> = []
  const shop = Layer.effect(
    CommerceApi,
    Effect.map(InMemoryCommerceApi.make({ user: users }), (api) =>
      CommerceApi.of({
        ...api,
        listIds: (entity, filter, cursor, limit) => {
          limits.push(limit)
          return api.listIds(entity, filter, cursor, limit)
        }
      })
    )
  )
  const pages = await Effect.runPromise(
    Effect.gen(function* () {
      const first = yield* sourcePage(job, undefined, 0, 1)
      const second = yield* sourcePage(job, first.next, 1, 1)
      return [first, second]
    }).pipe(Effect.provide(shop), Effect.provideService(Crm, {} as Crm["Service"]))
  )
  expect(limits).toEqual([500, 500])
  expect(pages.map((p) => p.envelopes.length)).toEqual([500, 500])
  expect(pages[1]?.envelopes[0]?.payload).toMatchObject({ id: "s-00500" })
})
