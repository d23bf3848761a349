// The three flows with real batches: the bus delivers up to a prefetch's worth at once, the
// handlers take them as one batch, and HubSpot sees many records per call.
import { expect, test } from "bun:test"
import { Effect, Layer, Queue } from "effect"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { CommerceApi } from "../../src/application/ports/CommerceApi.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import type { Envelope, Step } from "../../src/application/Step.ts"
import { withTuning } from "../../src/application/StepRegistry.ts"
import * as SyncWorkers from "../../src/application/SyncWorkers.ts"
import { aUser } from "../domain/mothers.ts"
import { ackEach } from "../support/AckEach.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const tuning = { retryTiersMs: [50, 200], maxAttempts: 6, deliveryLimit: 3, prefetch: 50 }
const platform: Step = { name: "platform", bindings: ["tocommerce.#"], ...tuning }

test("200 shop users published at once reach HubSpot in a few batch calls, and every HubSpot id goes back", async () => {
  const { calls, assigned, updates } = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const crm = yield* InMemoryCrm.make()
        const commerce = yield* InMemoryCommerceApi.make()
        const adapters = InMemoryBus.layer.pipe(
          Layer.provideMerge(memoryStorePorts()),
          Layer.provideMerge(Layer.succeed(Crm, crm)),
          Layer.provideMerge(Layer.succeed(CommerceApi, commerce))
        )
        return yield* Effect.gen(function* () {
          const bus = yield* MessageBus
          const received = yield* Queue.unbounded<Envelope>()
          yield* bus.consume(
            platform,
            ackEach((m) => Queue.offer(received, m))
          )
          const events = Array.from({ length: 200 }, (_, i) => {
            const user = aUser({ id: `u${i}`, email: `u${i}@example.com` })
            return {
              id: `e${i}`,
              type: routingKeys.commerceEvent("user", "created"),
              payload: { id: `u${i}`, occurredAt: 1, payload: user },
              occurredAt: 1,
              lane: "live" as const
            }
          })
          yield* bus.publish(events)
          const assigned = yield* Effect.forEach(events, () => Queue.take(received).pipe(Effect.timeout("5 seconds")))
          // The same users again, one field changed: known records are updated by id, in batches too.
          yield* bus.publish(
            events.map((e, i) => ({
              ...e,
              id: `again${i}`,
              payload: { ...e.payload, payload: { ...e.payload.payload, lastName: "Again", updatedAt: "2030-01-01T00:00:00.000Z" } }
            }))
          )
          yield* Effect.gen(function* () {
            for (;;) {
              const records = yield* crm.read("contact", assigned.map((m) => (m.payload as { crmId: string }).crmId) as never)
              if (records.every((r) => r.properties["lastname"] === "Again")) return
              yield* Effect.sleep("20 millis")
            }
          }).pipe(Effect.timeout("5 seconds"))
          return { calls: { ...crm.calls }, assigned, updates: crm.calls.update }
        }).pipe(Effect.provide(SyncWorkers.layer(withTuning(tuning)).pipe(Layer.provideMerge(adapters))))
      })
    )
  )
  expect(new Set(assigned.map((m) => (m.payload as { commerceId: string }).commerceId)).size).toBe(200)
  // 200 records at ≤ 50 a batch: at least 4 calls; one record a call would be 200.
  expect(calls.upsert).toBeLessThanOrEqual(12)
  expect(updates).toBeLessThanOrEqual(12)
})
