// Flow C: a CRM refusal of one record's association (or archive) fails that record's message
// only; its neighbours in the batch are acknowledged (found in review: the whole batch was parked).
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { CommerceApi, CommerceApiError, CommerceRejected } from "../../src/application/ports/CommerceApi.ts"
import { Crm, type CrmIdOf } from "../../src/application/ports/Crm.ts"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import { settleBatch } from "../../src/application/StepRunner.ts"
import { syncCommerceEvents } from "../../src/application/SyncCommerceEvents.ts"
import { aUser } from "../domain/mothers.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const step = { name: "sync-commerce-entity", bindings: ["commerce.*"], retryTiersMs: [50, 200], maxAttempts: 6, deliveryLimit: 3, prefetch: 50 }

const delivery = (id: string, extra: Record<string, unknown>) => ({
  envelope: {
    id: `e-${id}`,
    type: "commerce.user_created",
    payload: { id, occurredAt: 1, payload: aUser({ id, email: `${id}@example.com`, ...extra }) },
    occurredAt: 1,
    lane: "live" as const,
    attempt: 1
  },
  firstFailedAt: undefined,
  undecodable: false
})

test("a refused association parks its own message; the unrelated user beside it is synced", async () => {
  const out = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const crm = yield* InMemoryCrm.make()
        const commerce = yield* InMemoryCommerceApi.make()
        const layer = InMemoryBus.layer.pipe(
          Layer.provideMerge(memoryStorePorts()),
          Layer.provideMerge(Layer.succeed(Crm, crm)),
          Layer.provideMerge(Layer.succeed(CommerceApi, commerce))
        )
        return yield* Effect.gen(function* () {
          // A business we linked, archived in the CRM since: associating to it is refused.
          const companyId = yield* crm.seed("company", { name: "Gone Co" })
          yield* (yield* IdLinks).link([{ entity: "business", crmId: companyId as string, commerceId: "b-gone" }])
          yield* crm.archive("company", [companyId as CrmIdOf["company"]])
          const settlements = yield* settleBatch(step, syncCommerceEvents)([delivery("u-bad", { businessId: "b-gone" }), delivery("u-good", {})])
          const seen = yield* (yield* Snapshots).getCommerce([
            { entity: "user", id: "u-bad" },
            { entity: "user", id: "u-good" }
          ])
          return { settlements, seen: seen.map((s) => s.id) }
        }).pipe(Effect.provide(layer))
      })
    )
  )
  expect(out.settlements[0]?._tag).toBe("Park")
  expect(out.settlements[1]?._tag).toBe("Ack")
  // The refused one is not remembered as synced, so its replay does the work again.
  expect(out.seen).toEqual(["u-good"])
})

test("an id the shop refuses to serve fails its own event; the other id-only event of the batch is synced", async () => {
  const settlements = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const crm = yield* InMemoryCrm.make()
        const shop = yield* InMemoryCommerceApi.make({ user: [aUser({ id: "u-ok", email: "ok@example.com" })] })
        // The shop answers a lookup that includes u-broken with a 400, as a broken record would.
        const refusing = CommerceApi.of({
          ...shop,
          fetchMany: (entity, ids) =>
            ids.includes("u-broken")
              ? Effect.fail(new CommerceApiError({ reason: new CommerceRejected({ message: "bad record", status: 400 }) }))
              : shop.fetchMany(entity, ids)
        })
        const layer = InMemoryBus.layer.pipe(
          Layer.provideMerge(memoryStorePorts()),
          Layer.provideMerge(Layer.succeed(Crm, crm)),
          Layer.provideMerge(Layer.succeed(CommerceApi, refusing))
        )
        const idOnly = (id: string) => ({ ...delivery(id, {}), envelope: { ...delivery(id, {}).envelope, payload: { id, occurredAt: 1 } } })
        return yield* settleBatch(step, syncCommerceEvents)([idOnly("u-broken"), idOnly("u-ok")]).pipe(Effect.provide(layer))
      })
    )
  )
  expect(settlements[0]?._tag).toBe("Park")
  expect(settlements[1]?._tag).toBe("Ack")
})
