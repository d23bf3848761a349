// The MessageBus contract: the same assertions run against the in-memory and RabbitMQ adapters.
import { describe, expect, it } from "bun:test"
import { Effect, Layer, Ref, Scope } from "effect"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { type Delivery, MessageBus, type QueueDepth, type Settlement } from "../../src/application/ports/MessageBus.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import type { BatchHandler, Envelope, OutgoingMessage, Step } from "../../src/application/Step.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"
import { recordDeadLetters, runStep } from "../../src/application/StepRunner.ts"
import { eachMessage } from "../support/EachMessage.ts"

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

/** Runs a per-message handler on `step` through the StepRunner, as the service's steps run. */
export const consume = <R>(step: Step, handler: (message: Envelope) => Effect.Effect<void, StepFailure, R>) => runStep(step, eachMessage(handler))

const transient = new StepFailure({ retryable: true, reason: "503 from HubSpot" })
const permanent = new StepFailure({ retryable: false, reason: "400 invalid email" })

type BusLayer = Layer.Layer<MessageBus, unknown>
type Env = MessageBus | ParkedItems | Scope.Scope

/** The bus under test with a memory ParkedItems; the dead-letter recorder runs for the whole program. */
export const runWith =
  (layer: BusLayer) =>
  <A, E>(program: Effect.Effect<A, E, Env>) =>
    Effect.runPromise(
      recordDeadLetters().pipe(Effect.andThen(program), Effect.scoped, Effect.provide(Layer.merge(layer, InMemoryParkedItems.layer))) as Effect.Effect<A, E>
    )

export const messageBusContract = (name: string, makeLayer: () => BusLayer) =>
  describe(`MessageBus contract: ${name}`, () => {
    const run = <A, E>(program: Effect.Effect<A, E, Env>) => runWith(makeLayer())(program)
    const prefix = () => `c${++counter}`

    it("publishes, consumes and acks", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder()
          yield* consume(step, handler)
          yield* bus.publish([aMessage(`${step.name}.a`), aMessage(`${step.name}.b`), aMessage(`${step.name}.c`)])
          const all = yield* eventually(seen, (s) => s.length === 3)
          expect(all.map((m) => m.attempt)).toEqual([1, 1, 1])
          yield* Effect.sleep(300)
          expect((yield* seen).length).toBe(3)
        })
      ))

    it("routes only to steps whose bindings match, with topic wildcards", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const p = prefix()
          const orders = aStep(`${p}-orders`, { bindings: [`${p}.order.*`] })
          const users = aStep(`${p}-users`, { bindings: [`${p}.user.#`] })
          const a = yield* recorder()
          const b = yield* recorder()
          yield* consume(orders, a.handler)
          yield* consume(users, b.handler)
          yield* bus.publish([aMessage(`${p}.order.created`), aMessage(`${p}.user.x.y`), aMessage(`${p}.order.x.y`), aMessage(`${p}.nobody`)])
          yield* eventually(a.seen, (s) => s.length === 1)
          yield* eventually(b.seen, (s) => s.length === 1)
          yield* Effect.sleep(300) // for the negative checks: nothing else arrives
          expect((yield* a.seen).map((m) => m.type)).toEqual([`${p}.order.created`])
          expect((yield* b.seen).map((m) => m.type)).toEqual([`${p}.user.x.y`])
        })
      ))

    it("a message for the platform reaches its kind's declared queue with no consumer; one that reaches no queue fails the publish", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          yield* bus.publish([aMessage("tocommerce.user.upsert"), aMessage("tocommerce.ids.assigned")])
          const unroutable = yield* Effect.flip(bus.publish([aMessage("tocommerce.user.rename")]))
          expect(unroutable.reason._tag).toBe("BusRejected")
          expect(unroutable.message).toContain("tocommerce.user.rename")
          // Other routing keys no step binds are still dropped as a topic exchange does.
          yield* bus.publish([aMessage(`${prefix()}.nobody`)])
        })
      ))

    it("retries a transient failure with the attempt incremented, then succeeds", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder((m) => (m.attempt < 3 ? transient : undefined))
          yield* consume(step, handler)
          const message = aMessage(`${step.name}.changed`, { keep: "me" })
          yield* bus.publish([message])
          const all = yield* eventually(seen, (s) => s.length === 3)
          expect(all.map((m) => m.attempt)).toEqual([1, 2, 3])
          expect(all[2]).toEqual({ ...message, attempt: 3 })
          yield* Effect.sleep(300)
          expect((yield* seen).length).toBe(3)
          expect(yield* (yield* ParkedItems).list({ step: step.name })).toEqual([])
        })
      ))

    it("parks a permanent failure once with its reason and never retries it", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const store = yield* ParkedItems
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder(() => permanent)
          yield* consume(step, handler)
          const message = aMessage(`${step.name}.changed`)
          yield* bus.publish([message])
          const parked = yield* eventually(store.list({ step: step.name }), (p) => p.length === 1)
          expect(parked[0]?.reason).toBe("400 invalid email")
          expect(parked[0]?.message).toEqual({ ...message, attempt: 1 })
          yield* Effect.sleep(400)
          expect((yield* seen).length).toBe(1)
        })
      ))

    it("parks a transient failure once the attempts are exhausted", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const store = yield* ParkedItems
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder(() => transient)
          yield* consume(step, handler)
          yield* bus.publish([aMessage(`${step.name}.changed`)])
          const parked = yield* eventually(store.list({ step: step.name }), (p) => p.length === 1)
          expect(parked[0]?.attempts).toBe(3)
          expect(parked[0]?.reason).toContain("gave up after 3 attempts")
          expect((yield* seen).map((m) => m.attempt)).toEqual([1, 2, 3])
        })
      ))

    it("replays a parked message with a fresh attempt count", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const store = yield* ParkedItems
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder((m) => (m.id.endsWith("-replayed") ? undefined : permanent))
          yield* consume(step, handler)
          yield* bus.publish([aMessage(`${step.name}.changed`)])
          const [item] = yield* eventually(store.list({ step: step.name }), (p) => p.length === 1)
          yield* bus.replay(step.name, { ...item!.message, id: `${item!.message.id}-replayed`, attempt: 7 })
          const all = yield* eventually(seen, (s) => s.length === 2)
          expect(all[1]?.attempt).toBe(1)
          expect(all[1]?.payload).toEqual(item!.message.payload)
        })
      ))

    it("reports the depth of each step queue, its retry tiers and parking, with consumers", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder()
          const first = yield* Scope.make()
          yield* consume(step, handler).pipe(Scope.provide(first))
          yield* Scope.close(first, Effect.void as never)
          yield* bus.publish([aMessage(`${step.name}.a`), aMessage(`${step.name}.b`), aMessage(`${step.name}.c`)])
          const mine = (depths: ReadonlyArray<QueueDepth>) => depths.filter((d) => d.step === step.name)
          const waiting = yield* eventually(bus.depths, (d) => mine(d).find((q) => q.queue === "main")?.messages === 3)
          expect(mine(waiting).map((q) => q.queue)).toEqual(["main", "retry-50ms", "retry-200ms", "partitions"])
          expect(mine(waiting).find((q) => q.queue === "main")?.consumers).toBe(0)
          expect(waiting.some((q) => q.step === undefined && q.queue === "parking")).toBe(true)
          yield* consume(step, handler)
          yield* eventually(seen, (s) => s.length === 3)
          const drained = yield* eventually(bus.depths, (d) => mine(d).find((q) => q.queue === "main")?.messages === 0)
          expect(mine(drained).find((q) => q.queue === "main")?.consumers).toBe(1)
        })
      ))

    it("waits for in-flight handlers when the consuming scope closes", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix())
          const done = yield* Ref.make(0)
          const started = yield* Ref.make(0)
          const scope = yield* Scope.make()
          const slow = () => Ref.update(started, (n) => n + 1).pipe(Effect.andThen(Effect.sleep(400)), Effect.andThen(Ref.update(done, (n) => n + 1)))
          yield* consume(step, slow).pipe(Scope.provide(scope))
          yield* bus.publish([aMessage(`${step.name}.a`), aMessage(`${step.name}.b`)])
          yield* eventually(Ref.get(started), (n) => n === 2)
          yield* Scope.close(scope, Effect.void as never)
          expect(yield* Ref.get(done)).toBe(2)
        })
      ))

    it("hands deliveries over in batches of up to prefetch, gathered for the window", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix(), { prefetch: 50, batchWindowMs: 20 })
          const sizes = yield* Ref.make<ReadonlyArray<number>>([])
          const ackAll = (batch: ReadonlyArray<Delivery>) =>
            Ref.update(sizes, (all) => [...all, batch.length]).pipe(Effect.as(batch.map((): Settlement => ({ _tag: "Ack" }))))
          yield* bus.consume(step, ackAll)
          yield* bus.publish(Array.from({ length: 120 }, (_, i) => aMessage(`${step.name}.n${i}`)))
          const all = yield* eventually(Ref.get(sizes), (s) => s.reduce((a, b) => a + b, 0) === 120)
          expect(Math.max(...all)).toBeGreaterThan(1)
          expect(Math.max(...all)).toBeLessThanOrEqual(50)
          yield* Effect.sleep(300)
          expect((yield* Ref.get(sizes)).reduce((a, b) => a + b, 0)).toBe(120)
        })
      ))

    it("gathers a backfill batch for the backfill window and a live one for the live window", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix(), { prefetch: 50, batchWindowMs: 5, backfillBatchWindowMs: 600 })
          const sizes = yield* Ref.make<Record<string, ReadonlyArray<number>>>({})
          const ackAll = (batch: ReadonlyArray<Delivery>) =>
            Ref.update(sizes, (all) => ({ ...all, [batch[0]!.envelope.lane]: [...(all[batch[0]!.envelope.lane] ?? []), batch.length] })).pipe(
              Effect.as(batch.map((): Settlement => ({ _tag: "Ack" })))
            )
          yield* bus.consume(step, ackAll)
          // One message of each lane every 40 ms: only the longer window gathers several.
          for (let i = 0; i < 8; i++) {
            yield* bus.publish([{ ...aMessage(`${step.name}.b${i}`), lane: "backfill" }, aMessage(`${step.name}.l${i}`)])
            yield* Effect.sleep(40)
          }
          const all = yield* eventually(
            Ref.get(sizes),
            (s) => (s["backfill"] ?? []).reduce((a, b) => a + b, 0) === 8 && (s["live"] ?? []).reduce((a, b) => a + b, 0) === 8
          )
          expect(Math.max(...(all["backfill"] ?? []))).toBeGreaterThanOrEqual(4)
          expect(Math.max(...(all["live"] ?? []))).toBeLessThanOrEqual(2)
        })
      ))

    it("settles each delivery of a batch on its own: one parked, its neighbours acked", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix(), { prefetch: 10, batchWindowMs: 50 })
          const batches = yield* Ref.make<ReadonlyArray<ReadonlyArray<Envelope>>>([])
          const handler: BatchHandler = (messages) =>
            Ref.update(batches, (all) => [...all, messages]).pipe(Effect.as(messages.map((m) => (m.type.endsWith(".bad") ? permanent : undefined))))
          yield* runStep(step, handler)
          // One object's messages: one partition, so they can share a batch.
          const sent = [aMessage(`${step.name}.ok`), aMessage(`${step.name}.bad`), aMessage(`${step.name}.ok`), aMessage(`${step.name}.ok`)].map((m) => ({
            ...m,
            partitionKey: "user:u-1"
          }))
          yield* bus.publish(sent)
          const parked = yield* eventually((yield* ParkedItems).list({ step: step.name }), (p) => p.length === 1)
          expect(parked[0]?.message.type).toBe(`${step.name}.bad`)
          expect(parked[0]?.reason).toBe("400 invalid email")
          yield* Effect.sleep(400)
          const seen = (yield* Ref.get(batches)).flat()
          expect(seen.map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort())
          expect(Math.max(...(yield* Ref.get(batches)).map((b) => b.length))).toBeGreaterThan(1)
        })
      ))

    it("retries after the tier's delay", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix(), { retryTiersMs: [400] })
          const times: Array<number> = []
          const { seen, handler } = yield* recorder((m) => (m.attempt === 1 ? transient : undefined))
          yield* consume(step, (m) => Effect.sync(() => times.push(Date.now())).pipe(Effect.andThen(handler(m))))
          yield* bus.publish([aMessage(`${step.name}.x`)])
          yield* eventually(seen, (s) => s.length === 2)
          expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(350)
        })
      ))

    it(
      "a pause (a wait longer than every tier) spends no attempt: a later ordinary error still has them all",
      () =>
        run(
          Effect.gen(function* () {
            const bus = yield* MessageBus
            const step = aStep(prefix(), { retryTiersMs: [30, 60], maxAttempts: 3 })
            const quota = new StepFailure({ retryable: true, reason: "daily quota reached", retryAfterMs: 6 * 3600 * 1000 })
            let calls = 0
            const { seen, handler } = yield* recorder(() => (++calls <= 4 ? quota : transient))
            yield* consume(step, handler)
            yield* bus.publish([aMessage(`${step.name}.x`)])
            const parked = yield* eventually((yield* ParkedItems).list({ step: step.name }), (p) => p.length === 1)
            expect((yield* seen).map((m) => m.attempt)).toEqual([1, 1, 1, 1, 1, 2, 3])
            expect(parked[0]?.reason).toBe("gave up after 3 attempts: 503 from HubSpot")
          })
        ),
      20_000
    )

    it(
      "records what the bus dead-letters (a handler that keeps dying) as parked under the right step, even after a retry tier",
      () =>
        run(
          Effect.gen(function* () {
            const bus = yield* MessageBus
            const step = aStep(prefix(), { deliveryLimit: 1 })
            const { seen, handler } = yield* recorder()
            // The first attempt fails transiently (through a retry tier), then the handler crashes.
            yield* consume(step, (m) => (m.attempt === 1 ? Effect.fail(transient) : m.type.endsWith(".crash") ? Effect.die("segfault") : handler(m)))
            yield* bus.publish([aMessage(`${step.name}.crash`), aMessage(`${step.name}.fine`)])
            const parked = yield* eventually((yield* ParkedItems).list({}), (p) => p.some((i) => i.message.type === `${step.name}.crash`))
            expect(parked.map((p) => [p.step, p.message.type])).toEqual([[step.name, `${step.name}.crash`]])
            expect(parked[0]?.reason).toContain("delivery limit")
            expect(parked[0]?.id).toBe(`${step.name}:${parked[0]?.message.id}`)
            yield* eventually(seen, (s) => s.some((m) => m.type === `${step.name}.fine`))
          })
        ),
      20_000
    )

    it("hands one key's messages over in the order they were published", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix(), { prefetch: 5, batchWindowMs: 5 })
          const { seen, handler } = yield* recorder()
          yield* consume(step, handler)
          const keys = ["user:u-1", "business:b-2", "purchase:p-3"]
          const sent = Array.from({ length: 45 }, (_, i) => ({ ...aMessage(`${step.name}.n${i}`, { n: i }), partitionKey: keys[i % 3] as string }))
          for (let i = 0; i < sent.length; i += 9) yield* bus.publish(sent.slice(i, i + 9))
          const all = yield* eventually(seen, (s) => s.length === 45)
          for (const key of keys) {
            expect(all.filter((m) => m.partitionKey === key).map((m) => m.id)).toEqual(sent.filter((m) => m.partitionKey === key).map((m) => m.id))
          }
        })
      ))

    it("never runs batches of two steps side by side on one partition", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const [a, b] = [aStep(prefix(), { prefetch: 2, batchWindowMs: 1 }), aStep(prefix(), { prefetch: 2, batchWindowMs: 1 })] as const
          const running = yield* Ref.make(0)
          const most = yield* Ref.make(0)
          const done = yield* Ref.make(0)
          const slow: BatchHandler = (messages) =>
            Ref.updateAndGet(running, (n) => n + 1).pipe(
              Effect.tap((n) => Ref.update(most, (m) => Math.max(m, n))),
              Effect.andThen(Effect.sleep(30)),
              Effect.andThen(Ref.update(running, (n) => n - 1)),
              Effect.andThen(Ref.update(done, (n) => n + messages.length)),
              Effect.as(messages.map(() => undefined))
            )
          yield* runStep(a, slow)
          yield* runStep(b, slow)
          // Flow A's and flow C's messages about one linked pair.
          const pair = (step: Step, i: number) => ({ ...aMessage(`${step.name}.n${i}`), partitionKey: "user:u-7" })
          yield* bus.publish(Array.from({ length: 8 }, (_, i) => [pair(a, i), pair(b, i)]).flat())
          yield* eventually(Ref.get(done), (n) => n === 16)
          expect(yield* Ref.get(most)).toBe(1)
        })
      ))

    it(
      "a live message is handled while a backfill batch is still running, ahead of the backfill messages waiting",
      () =>
        run(
          Effect.gen(function* () {
            const bus = yield* MessageBus
            const step = aStep(prefix(), { prefetch: 5, batchWindowMs: 5 })
            const log = yield* Ref.make<ReadonlyArray<string>>([])
            const handler: BatchHandler = (messages) =>
              Ref.update(log, (l) => [...l, ...messages.map((m) => `start ${m.lane}`)]).pipe(
                // A backfill batch is slow (a page's follow-ups waiting for their budget share).
                Effect.andThen(Effect.sleep(messages[0]?.lane === "backfill" ? 700 : 0)),
                Effect.andThen(Ref.update(log, (l) => [...l, ...messages.map((m) => `end ${m.lane}`)])),
                Effect.as(messages.map(() => undefined))
              )
            yield* runStep(step, handler)
            const backfill = Array.from({ length: 10 }, (_, i) => ({
              ...aMessage(`${step.name}.b${i}`),
              lane: "backfill" as const,
              partitionKey: `user:b${i}`
            }))
            yield* bus.publish(backfill)
            yield* eventually(Ref.get(log), (l) => l.includes("start backfill"))
            yield* bus.publish([{ ...aMessage(`${step.name}.live`), partitionKey: "user:live" }])
            const all = yield* eventually(Ref.get(log), (l) => l.filter((e) => e === "end backfill").length === 10)
            expect(all.indexOf("end live")).toBeGreaterThan(-1)
            // Handled beside the first backfill batch: it neither waited for it nor for the 5 behind it.
            expect(all.indexOf("end live")).toBeLessThan(all.indexOf("end backfill"))
          })
        ),
      20_000
    )

    it(
      "never runs a live and a backfill batch about one object side by side",
      () =>
        run(
          Effect.gen(function* () {
            const bus = yield* MessageBus
            const step = aStep(prefix(), { prefetch: 2, batchWindowMs: 1 })
            const running = yield* Ref.make(0)
            const most = yield* Ref.make(0)
            const done = yield* Ref.make(0)
            const slow: BatchHandler = (messages) =>
              Ref.updateAndGet(running, (n) => n + 1).pipe(
                Effect.tap((n) => Ref.update(most, (m) => Math.max(m, n))),
                Effect.andThen(Effect.sleep(30)),
                Effect.andThen(Ref.update(running, (n) => n - 1)),
                Effect.andThen(Ref.update(done, (n) => n + messages.length)),
                Effect.as(messages.map(() => undefined))
              )
            yield* runStep(step, slow)
            const one = (i: number) => ({
              ...aMessage(`${step.name}.n${i}`),
              lane: i % 2 === 0 ? ("live" as const) : ("backfill" as const),
              partitionKey: "user:u-8"
            })
            yield* bus.publish(Array.from({ length: 12 }, (_, i) => one(i)))
            yield* eventually(Ref.get(done), (n) => n === 12)
            expect(yield* Ref.get(most)).toBe(1)
          })
        ),
      20_000
    )

    it("reports the partitions assigned; messages published meanwhile are delivered once each", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* MessageBus
          const step = aStep(prefix())
          const { seen, handler } = yield* recorder()
          yield* consume(step, handler)
          const all = Array.from({ length: bus.partitions }, (_, k) => k)
          yield* eventually(bus.held, (held) => held.length === bus.partitions)
          expect(yield* bus.held).toEqual(all)
          const odd = all.filter((k) => k % 2 === 1)
          // Any order, duplicates and indexes out of range are ignored.
          yield* bus.assign([...odd].reverse().concat(odd, [bus.partitions + 5, -1]))
          expect(yield* eventually(bus.held, (held) => held.length === odd.length)).toEqual(odd)
          yield* bus.assign([])
          expect(yield* bus.held).toEqual([])
          const sent = Array.from({ length: 20 }, (_, i) => aMessage(`${step.name}.n${i}`))
          yield* bus.publish(sent)
          yield* bus.assign(all)
          yield* eventually(seen, (s) => s.length === 20)
          yield* Effect.sleep(200)
          expect((yield* seen).map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort())
          expect(yield* eventually(bus.held, (held) => held.length === bus.partitions)).toEqual(all)
        })
      ))
  })
