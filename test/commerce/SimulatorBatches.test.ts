// The commerce simulator takes its messages in batches: each batch is applied in delivery order
// (a later message sees what an earlier one did), answered with one publish (one confirm), and
// each delivery is settled on its own: one it cannot read is parked, its neighbours applied.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { BusUnavailable, MessageBus, MessageBusError } from "../../src/application/ports/MessageBus.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import * as Sim from "../support/commerce/CommerceSimulator.ts"
import { upsert } from "./SimulatorHarness.ts"

const typesOf = (messages: ReadonlyArray<{ readonly type: string }>) => messages.map((m) => m.type)

/** The simulator's bus counts its publishes (messages per call) and fails them while `down()`. */
const runWithBus = <A, E>(
  effect: Effect.Effect<A, E, Sim.CommerceSimulator | MessageBus | ParkedItems>,
  bus: { readonly calls: Array<number>; readonly down: () => boolean }
): Promise<A> => {
  const watched = Layer.effect(
    MessageBus,
    Effect.map(MessageBus, (inner) =>
      MessageBus.of({
        ...inner,
        publish: (messages) => {
          if (bus.down()) return Effect.fail(new MessageBusError({ reason: new BusUnavailable({ message: "broker down" }) }))
          bus.calls.push(messages.length)
          return inner.publish(messages)
        }
      })
    )
  )
  return Effect.runPromise(
    effect.pipe(
      Effect.scoped,
      Effect.provide(Sim.layer().pipe(Layer.provide(watched), Layer.provideMerge(InMemoryBus.layer), Layer.provideMerge(InMemoryParkedItems.layer)))
    )
  )
}

/** Sends every message with one publish, as one batch reaches the platform. */
const sendAll = (messages: ReadonlyArray<readonly [type: string, payload: unknown]>) =>
  Effect.flatMap(MessageBus, (bus) =>
    bus.publish(messages.map(([type, payload]) => ({ id: crypto.randomUUID(), type, payload, occurredAt: 0, lane: "live" as const })))
  )

const parkedOf = (count: number) =>
  Effect.gen(function* () {
    const store = yield* ParkedItems
    let parked = yield* store.list({ step: Sim.defaultStep.name })
    while (parked.length < count) parked = yield* Effect.andThen(Effect.sleep(5), store.list({ step: Sim.defaultStep.name }))
    return parked
  })

test("a batch is applied in delivery order and answered with one publish; the message it cannot read is parked alone", async () => {
  const calls: Array<number> = []
  const [sim, parked] = await runWithBus(
    Effect.gen(function* () {
      const sim = yield* Sim.CommerceSimulator
      yield* sendAll([
        [routingKeys.upsert("business"), upsert({ name: "Acme" }, { entity: "business", crmId: "co-1" })],
        // Links the business created just before it, in the same batch.
        [routingKeys.upsert("user"), upsert({ email: "v1@example.com" }, { crmId: "c-1", links: { businessId: "co-1" } })],
        [routingKeys.upsert("user"), { entity: "user" }],
        [routingKeys.upsert("user"), upsert({ email: "v2@example.com" }, { crmId: "c-1", version: 2 })],
        [routingKeys.upsert("user"), upsert({ email: "v0@example.com" }, { crmId: "c-1", version: 1 })]
      ])
      yield* sim.awaitReceived(5)
      return [sim, yield* parkedOf(1)] as const
    }),
    { calls, down: () => false }
  )
  expect(sim.received().map((r) => r.outcome)).toEqual(["created b-1", "created u-1", "invalid", "updated u-1", "ignored: version 1 < 2"])
  expect(sim.find("user", "u-1")).toMatchObject({ crmVersion: 2, record: { email: "v2@example.com", businessId: "b-1", crmId: "c-1" } })
  expect(typesOf(sim.published())).toEqual([
    routingKeys.commerceIds,
    "commerce.business_created",
    routingKeys.commerceIds,
    "commerce.user_created",
    "commerce.user_updated"
  ])
  // Every answer of the batch in one publish, in the order of the messages they answer.
  expect(calls).toEqual([5])
  expect(parked.map((p) => [p.message.type, p.reason])).toEqual([[routingKeys.upsert("user"), "commerce platform cannot read tocommerce.user.upsert"]])
})

test("a batch whose publish fails stores nothing and comes again whole; its unreadable message is parked, not retried", async () => {
  const calls: Array<number> = []
  let down = true
  const [sim, storedWhileDown, parked] = await runWithBus(
    Effect.gen(function* () {
      const sim = yield* Sim.CommerceSimulator
      yield* sendAll([
        [routingKeys.upsert("user"), upsert({ email: "a@example.com" }, { crmId: "c-1" })],
        [routingKeys.upsert("user"), { entity: "user" }],
        [routingKeys.upsert("user"), upsert({ email: "b@example.com" }, { crmId: "c-2" })]
      ])
      yield* sim.awaitReceived(3)
      const storedWhileDown = sim.state().user.length
      down = false
      while (sim.received().filter((r) => r.outcome.startsWith("created")).length < 2) yield* Effect.sleep(5)
      return [sim, storedWhileDown, yield* parkedOf(1)] as const
    }),
    { calls, down: () => down }
  )
  expect(
    sim
      .received()
      .slice(0, 3)
      .map((r) => r.outcome)
  ).toEqual(["failed: BusUnavailable: broker down", "invalid", "failed: BusUnavailable: broker down"])
  expect(storedWhileDown).toBe(0)
  // The redelivered pair is applied in its order (the failed attempts burned ids, as a sequence does).
  const created = sim.received().filter((r) => r.outcome.startsWith("created"))
  expect(created.map((r) => (r.envelope.payload as { readonly crmId: string }).crmId)).toEqual(["c-1", "c-2"])
  expect(sim.state().user.map((e) => e.record["crmId"])).toEqual(["c-1", "c-2"])
  expect(created.map((r) => r.outcome)).toEqual(sim.state().user.map((e) => `created ${e.id}`))
  expect(sim.received().filter((r) => r.outcome === "invalid")).toHaveLength(1)
  expect(parked.map((p) => p.reason)).toEqual(["commerce platform cannot read tocommerce.user.upsert"])
})
