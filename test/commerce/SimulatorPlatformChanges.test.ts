// The commerce simulator's own changes (a shop admin, a checkout) and how they are announced.
import { describe, expect, test } from "bun:test"
import { Effect, Layer, Option, Queue } from "effect"
import * as CommerceRestApi from "../../src/adapters/commerce/CommerceRestApi.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { CommerceApi } from "../../src/application/ports/CommerceApi.ts"
import { BusUnavailable, MessageBus, MessageBusError } from "../../src/application/ports/MessageBus.ts"
import * as Sim from "../support/commerce/CommerceSimulator.ts"
import { CommerceSimulator } from "../support/commerce/CommerceSimulator.ts"
import { observe, runSim } from "./SimulatorHarness.ts"

const typesOf = (messages: ReadonlyArray<{ readonly type: string }>) => messages.map((m) => m.type)

describe("commerce simulator: changes on the platform", () => {
  test("createUser stores the user and publishes user_created with the payload", async () => {
    const [event, user] = await runSim(
      Effect.gen(function* () {
        const seen = yield* observe
        const user = yield* (yield* CommerceSimulator).createUser({ email: "shop@example.com", firstName: "Ada" })
        return [yield* Queue.take(seen), user] as const
      })
    )
    expect(user).toMatchObject({ id: "u-1", email: "shop@example.com" })
    expect(event.type).toBe("commerce.user_created")
    expect(event.payload).toMatchObject({ id: "u-1", payload: { id: "u-1", email: "shop@example.com", firstName: "Ada" } })
  })

  test("update and delete publish their events; an update that changes nothing does not", async () => {
    const sim = await runSim(
      Effect.gen(function* () {
        const sim = yield* CommerceSimulator
        const business = yield* sim.createBusiness({ name: "Acme" })
        const id = String(business["id"])
        yield* sim.updateBusiness(id, { name: "Acme Ltd" })
        yield* sim.updateBusiness(id, { name: "Acme Ltd" })
        yield* sim.deleteBusiness(id)
        return sim
      })
    )
    expect(typesOf(sim.published())).toEqual(["commerce.business_created", "commerce.business_updated", "commerce.business_deleted"])
  })

  test("id-only mode: the event carries the id and the entity is read over REST", async () => {
    const [event, fetched] = await runSim(
      Effect.gen(function* () {
        const seen = yield* observe
        const sim = yield* CommerceSimulator
        yield* sim.createPurchase({ reference: "#1001", totalMinor: 1999, currency: "EUR" })
        const event = yield* Queue.take(seen)
        const fetched = yield* Effect.flatMap(CommerceApi, (api) => api.fetch("purchase", "p-1")).pipe(
          Effect.provide(CommerceRestApi.layer({ baseUrl: sim.url }))
        )
        return [event, fetched] as const
      }),
      { eventsCarry: "id" }
    )
    expect(event.payload).toEqual({ id: "p-1", occurredAt: expect.any(Number) })
    expect(Option.getOrThrow(fetched)).toMatchObject({ id: "p-1", reference: "#1001", totalMinor: 1999 })
  })
})

test("a publish the broker refuses leaves the platform unchanged, so the retry does it all", async () => {
  let down = true
  const FlakyBus = Layer.effect(
    MessageBus,
    Effect.map(MessageBus, (bus) =>
      MessageBus.of({
        ...bus,
        publish: (messages) => (down ? Effect.fail(new MessageBusError({ reason: new BusUnavailable({ message: "broker down" }) })) : bus.publish(messages))
      })
    )
  ).pipe(Layer.provide(InMemoryBus.layer), Layer.merge(InMemoryParkedItems.layer))
  const sim = await Effect.runPromise(
    Effect.gen(function* () {
      const sim = yield* CommerceSimulator
      const failed = yield* Effect.flip(sim.createUser({ email: "a@example.com" }))
      expect(failed.isRetryable).toBe(true)
      expect(sim.state().user).toEqual([])
      down = false
      yield* sim.createUser({ email: "a@example.com" })
      return sim
    }).pipe(Effect.scoped, Effect.provide(Sim.layer().pipe(Layer.provide(FlakyBus))))
  )
  // The failed attempt burned u-1, as a database sequence would.
  expect(sim.state().user.map((e) => e.id)).toEqual(["u-2"])
  expect(typesOf(sim.published())).toEqual(["commerce.user_created"])
})
