// Runs a test against the commerce simulator on the in-memory bus, with a helper to send it
// messages as the service would and an observer of what it publishes.
import { Effect, Layer, Queue, type Scope } from "effect"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import type { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import type { Envelope } from "../../src/application/Step.ts"
import { ackEach } from "../support/AckEach.ts"
import * as Sim from "../support/commerce/CommerceSimulator.ts"

type Env = Sim.CommerceSimulator | MessageBus | ParkedItems | Scope.Scope

export const runSim = <A, E>(effect: Effect.Effect<A, E, Env>, options: Sim.Options = {}): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(effect).pipe(Effect.provide(Sim.layer(options).pipe(Layer.provideMerge(InMemoryBus.layer), Layer.provideMerge(InMemoryParkedItems.layer))))
  )

/** Publishes as the service does; returns once the simulator has handled it. */
export const send = (type: string, payload: unknown) =>
  Effect.gen(function* () {
    const sim = yield* Sim.CommerceSimulator
    const before = sim.received().length
    yield* Effect.flatMap(MessageBus, (bus) => bus.publish([{ id: crypto.randomUUID(), type, payload, occurredAt: 0, lane: "live" }]))
    return yield* sim.awaitReceived(before + 1)
  })

/** A queue of everything published under `commerce.#` from now on. */
export const observe = Effect.gen(function* () {
  const bus = yield* MessageBus
  const seen = yield* Queue.unbounded<Envelope>()
  const step = { name: "test-observer", bindings: ["commerce.#"], retryTiersMs: [10], maxAttempts: 1, deliveryLimit: 1, prefetch: 10 }
  yield* bus.consume(
    step,
    ackEach((message) => Queue.offer(seen, message))
  )
  return seen
})

export const upsert = (fields: Record<string, unknown>, over: { crmId?: string; version?: number; entity?: string; links?: Record<string, string> } = {}) => ({
  entity: over.entity ?? "user",
  crmId: over.crmId ?? "c-100",
  version: over.version ?? 1,
  fields,
  links: over.links ?? {}
})
