// One replica at a time per shop object (issue 9 #8): the wrapper takes each object's lease before
// the handler reads anything, and a message whose object another replica holds waits.
import { describe, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryObjectLeases from "../../src/adapters/memory/InMemoryObjectLeases.ts"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { leasedPerObject } from "../../src/application/ObjectLeasing.ts"
import { ObjectLeases } from "../../src/application/ports/ObjectLeases.ts"
import type { Envelope } from "../../src/application/Step.ts"
import { commerceObjectOf } from "../../src/application/SyncCommerceEvents.ts"

const event = (id: string): Envelope => ({
  id,
  type: routingKeys.commerceEvent("user", "updated"),
  payload: { id, occurredAt: 1 },
  occurredAt: 1,
  lane: "live",
  attempt: 1
})

describe("leasedPerObject", () => {
  test("an object another replica holds waits (retryable); the others run; the leases taken are released", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const leases = yield* ObjectLeases
        yield* leases.take({ keys: ["user:u-1"], holder: "other replica", now: Date.now(), leaseMs: 60_000 })
        const seen: Array<string> = []
        const handler = leasedPerObject(commerceObjectOf, (messages) =>
          Effect.sync(() =>
            messages.map((m) => {
              seen.push(m.id)
              return undefined
            })
          )
        )
        const results = yield* handler([event("u-1"), event("u-2")])
        expect(seen).toEqual(["u-2"])
        expect(results[0]).toMatchObject({ retryable: true })
        expect(results[1]).toBeUndefined()
        // u-2's lease was released: another batch takes it at once; u-1 is still the other replica's.
        expect([...(yield* leases.take({ keys: ["user:u-1", "user:u-2"], holder: "next", now: Date.now(), leaseMs: 60_000 }))]).toEqual(["user:u-2"])
      }).pipe(Effect.provide(Layer.fresh(InMemoryObjectLeases.layer)))
    ))

  test("without an ObjectLeases service (one process) the handler gets the whole batch", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const handler = leasedPerObject(commerceObjectOf, (messages) => Effect.succeed(messages.map(() => undefined)))
        expect(yield* handler([event("u-1"), event("u-1")])).toEqual([undefined, undefined])
      })
    ))
})
