// The MessageBus contract: the same assertions run against the in-memory and RabbitMQ adapters.
import { describe, expect, it } from "bun:test"
import { Effect, type Layer, Ref, Scope } from "effect"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { SyncStore } from "../../src/application/ports/SyncStore.ts"
import type { Envelope, OutgoingMessage, Step } from "../../src/application/Step.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"

export const aStep = (name: string, overrides: Partial<Step> = {}): Step => ({
  name,
  bindings: [`${name}.#`],
  retryTiersMs: [50, 200],
  maxAttempts: 3,
  deliveryLimit: 2,
  prefetch: 4,
  ...overrides
})

let counter = 0
export const aMessage = (type: string, payload: unknown = { n: ++counter }): OutgoingMessage => ({
  id: `m-${Date.now()}-${++counter}`,
  type,
  payload,
  occurredAt: 1_700_000_000_000,
  lane: "live"
})

/** Polls until `check` holds; real brokers settle asynchronously. */
export const eventually = <A>(read: Effect.Effect<A, unknown, never>, check: (a: A) => boolean, timeoutMs = 10_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const value = yield* read
      if (check(value)) return value
      if (Date.now() > deadline) return yield* Effect.die(new Error(`condition not met: ${JSON.stringify(value)}`))
      yield* Effect.sleep(20)
    }
  })

/** A handler recording what it saw and failing as `fail` says for each delivery. */
export const recorder = (fail: (message: Envelope) => StepFailure | undefined = () => undefined) =>
  Effect.gen(function* () {
    const seen = yield* Ref.make<ReadonlyArray<Envelope>>([])
    const handler = (message: Envelope) =>
      Ref.update(seen, (all) => [...all, message]).pipe(
        Effect.andThen(() => {
          const failure = fail(message)
          return failure === undefined ? Effect.void : Effect.fail(failure)
        })
      )
    return { seen: Ref.get(seen), handler }
  })

const transient = new StepFailure({ retryable: true, reason: "503 from HubSpot" })
const permanent = new StepFailure({ retryable: false, reason: "400 invalid email" })

type BusLayer = Layer.Layer<MessageBus | SyncStore, unknown>

export const runWith = (layer: BusLayer) => <A, E>(program: Effect.Effect<A, E, MessageBus | SyncStore | Scope.Scope>) =>
  Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer)) as Effect.Effect<A, E>)

export const messageBusContract = (name: string, makeLayer: () => BusLayer) =>
  describe(`MessageBus contract: ${name}`, () => {
    const run = <A, E>(program: Effect.Effect<A, E, MessageBus | SyncStore | Scope.Scope>) => runWith(makeLayer())(program)
    const prefix = () => `c${++counter}`

    it("publishes, consumes and acks", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const step = aStep(prefix())
        const { seen, handler } = yield* recorder()
        yield* bus.consume(step, handler)
        yield* bus.publish([aMessage(`${step.name}.a`), aMessage(`${step.name}.b`), aMessage(`${step.name}.c`)])
        const all = yield* eventually(seen, (s) => s.length === 3)
        expect(all.map((m) => m.attempt)).toEqual([1, 1, 1])
        yield* Effect.sleep(300)
        expect((yield* seen).length).toBe(3)
      })))

    it("routes only to steps whose bindings match, with topic wildcards", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const p = prefix()
        const orders = aStep(`${p}-orders`, { bindings: [`${p}.order.*`] })
        const users = aStep(`${p}-users`, { bindings: [`${p}.user.#`] })
        const a = yield* recorder()
        const b = yield* recorder()
        yield* bus.consume(orders, a.handler)
        yield* bus.consume(users, b.handler)
        yield* bus.publish([aMessage(`${p}.order.created`), aMessage(`${p}.user.x.y`), aMessage(`${p}.order.x.y`), aMessage(`${p}.nobody`)])
        yield* eventually(a.seen, (s) => s.length === 1)
        yield* eventually(b.seen, (s) => s.length === 1)
        yield* Effect.sleep(300) // for the negative checks: nothing else arrives
        expect((yield* a.seen).map((m) => m.type)).toEqual([`${p}.order.created`])
        expect((yield* b.seen).map((m) => m.type)).toEqual([`${p}.user.x.y`])
      })))

    it("retries a transient failure with the attempt incremented, then succeeds", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const step = aStep(prefix())
        const { seen, handler } = yield* recorder((m) => (m.attempt < 3 ? transient : undefined))
        yield* bus.consume(step, handler)
        const message = aMessage(`${step.name}.changed`, { keep: "me" })
        yield* bus.publish([message])
        const all = yield* eventually(seen, (s) => s.length === 3)
        expect(all.map((m) => m.attempt)).toEqual([1, 2, 3])
        expect(all[2]).toEqual({ ...message, attempt: 3 })
        yield* Effect.sleep(300)
        expect((yield* seen).length).toBe(3)
        expect(yield* (yield* SyncStore).listParked({ step: step.name })).toEqual([])
      })))

    it("parks a permanent failure once with its reason and never retries it", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const store = yield* SyncStore
        const step = aStep(prefix())
        const { seen, handler } = yield* recorder(() => permanent)
        yield* bus.consume(step, handler)
        const message = aMessage(`${step.name}.changed`)
        yield* bus.publish([message])
        const parked = yield* eventually(store.listParked({ step: step.name }), (p) => p.length === 1)
        expect(parked[0]?.reason).toBe("400 invalid email")
        expect(parked[0]?.message).toEqual({ ...message, attempt: 1 })
        yield* Effect.sleep(400)
        expect((yield* seen).length).toBe(1)
      })))

    it("parks a transient failure once the attempts are exhausted", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const store = yield* SyncStore
        const step = aStep(prefix())
        const { seen, handler } = yield* recorder(() => transient)
        yield* bus.consume(step, handler)
        yield* bus.publish([aMessage(`${step.name}.changed`)])
        const parked = yield* eventually(store.listParked({ step: step.name }), (p) => p.length === 1)
        expect(parked[0]?.attempts).toBe(3)
        expect(parked[0]?.reason).toContain("gave up after 3 attempts")
        expect((yield* seen).map((m) => m.attempt)).toEqual([1, 2, 3])
      })))

    it("replays a parked message with a fresh attempt count", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const store = yield* SyncStore
        const step = aStep(prefix())
        const { seen, handler } = yield* recorder((m) => (m.id.endsWith("-replayed") ? undefined : permanent))
        yield* bus.consume(step, handler)
        yield* bus.publish([aMessage(`${step.name}.changed`)])
        const [item] = yield* eventually(store.listParked({ step: step.name }), (p) => p.length === 1)
        yield* bus.replay(step.name, { ...item!.message, id: `${item!.message.id}-replayed`, attempt: 7 })
        const all = yield* eventually(seen, (s) => s.length === 2)
        expect(all[1]?.attempt).toBe(1)
        expect(all[1]?.payload).toEqual(item!.message.payload)
      })))

    it("waits for in-flight handlers when the consuming scope closes", () =>
      run(Effect.gen(function* () {
        const bus = yield* MessageBus
        const step = aStep(prefix())
        const done = yield* Ref.make(0)
        const started = yield* Ref.make(0)
        const scope = yield* Scope.make()
        const slow = () => Ref.update(started, (n) => n + 1).pipe(Effect.andThen(Effect.sleep(400)), Effect.andThen(Ref.update(done, (n) => n + 1)))
        yield* bus.consume(step, slow).pipe(Scope.provide(scope))
        yield* bus.publish([aMessage(`${step.name}.a`), aMessage(`${step.name}.b`)])
        yield* eventually(Ref.get(started), (n) => n === 2)
        yield* Scope.close(scope, Effect.void as never)
        expect(yield* Ref.get(done)).toBe(2)
      })))
  })
