// Faults only a real broker can show: tier isolation, poison messages, refused publishes, lost connections.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test"
import amqp from "amqplib"
import { Effect, Fiber, Schedule } from "effect"
import * as RabbitMqBus from "../../src/adapters/rabbitmq/RabbitMqBus.ts"
import { declareShared, names } from "../../src/adapters/rabbitmq/Topology.ts"
import { MessageBus, type QueueDepth } from "../../src/application/ports/MessageBus.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import type { Step } from "../../src/application/Step.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"
import { aMessage, aStep, consume, eventually, recorder, runWith } from "../contract/MessageBus.contract.ts"
import { makeTestBroker, skipAmqp, type TestBroker } from "../support/amqp/AmqpTestBroker.ts"

let broker: TestBroker | undefined
let counter = 0
const transient = new StepFailure({ retryable: true, reason: "timeout" })

const setup = (steps: ReadonlyArray<Step> = []) => {
  if (broker === undefined) throw new Error("broker not ready")
  const prefix = `f${++counter}`
  const layer = RabbitMqBus.layer({ url: broker.url, prefix, steps, reconnectMaxDelayMs: 500, partitions: 2 })
  return { prefix, run: runWith(layer), names: names(prefix), url: broker.url }
}
const withChannel = <A>(url: string, f: (channel: amqp.Channel) => Promise<A>) =>
  Effect.promise(async () => {
    const connection = await amqp.connect(url)
    try {
      return await f(await connection.createChannel())
    } finally {
      await connection.close().catch(() => undefined)
    }
  })

describe.skipIf(skipAmqp)("RabbitMqBus faults (real broker)", () => {
  beforeAll(async () => {
    broker = await makeTestBroker()
  }, 60_000)
  afterAll(() => broker?.dispose(), 60_000)
  // Each test declares a whole topology under its prefix: drop it once the test is over.
  afterEach(() => broker?.deleteQueues(`f${counter}.`), 60_000)

  it("climbs every tier then parks, and a short-tier retry never waits behind a long-tier one", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        // The long tier is far longer than any scheduling hiccup, so the order below cannot race.
        const step = aStep("tiers", { retryTiersMs: [50, 5000], maxAttempts: 3 })
        const { seen, handler } = yield* recorder((m) => (m.type === "tiers.b" && m.attempt > 1 ? undefined : transient))
        yield* consume(step, handler)
        yield* bus.publish([aMessage("tiers.a")])
        yield* eventually(seen, (s) => s.some((m) => m.type === "tiers.a" && m.attempt === 2)) // a now waits in the 5 s tier
        const sentB = Date.now()
        yield* bus.publish([aMessage("tiers.b")])
        yield* eventually(seen, (s) => s.some((m) => m.type === "tiers.b" && m.attempt === 2))
        const bRetriedAfter = Date.now() - sentB
        const parked = yield* eventually((yield* ParkedItems).list({ step: "tiers" }), (p) => p.length === 1)
        const order = (yield* seen).map((m) => `${m.type.slice(6)}${m.attempt}`)
        console.log(`short-tier retry after ${bRetriedAfter} ms while a long-tier retry was pending; order ${order.join(" ")}`)
        expect(bRetriedAfter).toBeLessThan(2500)
        expect(order).toEqual(["a1", "a2", "b1", "b2", "a3"])
        expect(parked[0]?.attempts).toBe(3)
        const parking = yield* withChannel(t.url, (c) => c.checkQueue(t.names.parking))
        expect(parking.messageCount).toBe(1)
      })
    )
  }, 30_000)

  it("parks a message whose handler dies past x-delivery-limit while others keep flowing", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        const store = yield* ParkedItems
        const step = aStep("poison", { deliveryLimit: 2, prefetch: 2 })
        let poisonCalls = 0
        const { seen, handler } = yield* recorder()
        yield* consume(step, (m) => (m.type === "poison.bad" ? Effect.sync(() => poisonCalls++).pipe(Effect.andThen(Effect.die("segfault"))) : handler(m)))
        yield* bus.publish([aMessage("poison.bad"), ...Array.from({ length: 20 }, () => aMessage("poison.good"))])
        const parked = yield* eventually(store.list({ step: "poison" }), (p) => p.length === 1)
        // A batch that died is re-run one message at a time, so a good one may be seen twice (at least once).
        yield* eventually(seen, (s) => new Set(s.map((m) => m.id)).size === 20)
        expect(parked[0]?.reason).toContain("delivery limit")
        // x-delivery-limit 2: dead-lettered on the third return. A batch that dies is re-run one
        // message at a time, so each of the three deliveries ran the handler once or twice.
        expect(poisonCalls).toBeGreaterThanOrEqual(3)
        expect(poisonCalls).toBeLessThanOrEqual(6)
        const parking = yield* withChannel(t.url, (c) => c.checkQueue(t.names.parking))
        expect(parking.messageCount).toBe(1)
      })
    )
  }, 30_000)

  it("parks a message whose consumer crashes without acking (channel closed) after the delivery limit", () => {
    const step = aStep("crash", { deliveryLimit: 1 })
    const t = setup([step])
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        yield* bus.publish([aMessage("crash.me")])
        // A raw consumer that "crashes": it takes the delivery and closes its channel without an ack.
        for (let i = 0; i < 2; i++) {
          yield* withChannel(t.url, (c) => new Promise<void>((resolve) => void c.consume(t.names.stepQueue("crash"), () => void c.close().then(resolve))))
        }
        const parked = yield* eventually((yield* ParkedItems).list({ step: "crash" }), (p) => p.length === 1)
        expect(parked[0]?.message.type).toBe("crash.me")
        expect(parked[0]?.reason).toContain("delivery limit")
      })
    )
  }, 30_000)

  it("surfaces a publish the broker refuses (full queue, reject-publish) as BusRejected", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        yield* withChannel(t.url, async (c) => {
          await c.assertQueue(`${t.prefix}.full`, { arguments: { "x-max-length": 1, "x-overflow": "reject-publish" } })
          await c.bindQueue(`${t.prefix}.full`, t.names.events, "full.#")
        })
        yield* bus.publish([aMessage("full.one")])
        const error = yield* bus.publish([aMessage("full.two")]).pipe(Effect.flip)
        expect(error.reason._tag).toBe("BusRejected")
        expect(error.isRetryable).toBe(true)
      })
    )
  }, 30_000)

  it("resumes consuming after the broker closes the connection, losing no confirmed message", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        const { seen, handler } = yield* recorder()
        yield* consume(aStep("reconnect", { prefetch: 10 }), handler)
        const before = Array.from({ length: 50 }, () => aMessage("reconnect.x"))
        const after = Array.from({ length: 50 }, () => aMessage("reconnect.y"))
        yield* bus.publish(before)
        broker!.closeConnections()
        // Publishing fails fast while reconnecting; the caller (outbox relay) retries.
        yield* bus.publish(after).pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 100 }))
        const ids = new Set([...before, ...after].map((m) => m.id))
        yield* eventually(seen, (s) => [...ids].every((id) => s.some((m) => m.id === id)), 15_000)
      })
    )
  }, 30_000)

  // The depth checks keep their channels open between checks; a check of a missing queue closes
  // its channel, so the next checks must open new ones instead of failing on a closed channel.
  it("answers queue depths again after a check failed on a missing queue, and after a reconnect", () => {
    const step = aStep("depths")
    const t = setup([step])
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        yield* bus.publish([aMessage("depths.x"), aMessage("depths.y")])
        const main = (d: ReadonlyArray<QueueDepth>) => d.find((q) => q.step === "depths" && q.queue === "main")
        yield* eventually(bus.depths, (d) => main(d)?.messages === 2)
        yield* bus.depths
        yield* withChannel(t.url, (c) => c.deleteQueue(t.names.parking))
        expect((yield* Effect.exit(bus.depths))._tag).toBe("Failure")
        // The queue back as the bus declares it, on the same connection: checks answer again.
        yield* withChannel(t.url, (c) => declareShared(c, t.names))
        const back = yield* eventually(bus.depths.pipe(Effect.orElseSucceed(() => [])), (d) => main(d)?.messages === 2, 5_000)
        expect(back.some((q) => q.queue === "parking")).toBe(true)
        // And on a new connection after the broker closed the old one.
        broker!.closeConnections()
        yield* eventually(bus.depths.pipe(Effect.orElseSucceed(() => [])), (d) => main(d)?.messages === 2, 15_000)
      })
    )
  }, 30_000)

  it("re-attaches a consumer the broker cancelled while the connection stays up, retrying until the queue can be declared", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        const { seen, handler } = yield* recorder()
        const step = aStep("cancelled")
        yield* consume(step, handler)
        yield* bus.publish([aMessage("cancelled.before")])
        yield* eventually(seen, (s) => s.length === 1)
        // Deleting the queue cancels the consumer; a conflicting queue makes the first re-attaches fail.
        yield* withChannel(t.url, async (c) => {
          await c.deleteQueue(t.names.stepQueue("cancelled"))
          await c.assertQueue(t.names.stepQueue("cancelled"), { durable: false, autoDelete: false })
        })
        yield* eventually(bus.ready, (ready) => !ready, 5_000)
        yield* Effect.sleep(800)
        yield* withChannel(t.url, (c) => c.deleteQueue(t.names.stepQueue("cancelled")))
        yield* eventually(bus.ready, (ready) => ready, 15_000)
        yield* bus.publish([aMessage("cancelled.after")])
        yield* eventually(seen, (s) => s.some((m) => m.type === "cancelled.after"), 10_000)
      })
    )
  }, 40_000)

  it("says it is not ready while disconnected and ready again once reconnected and re-attached", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        const bus = yield* MessageBus
        const { seen, handler } = yield* recorder()
        yield* consume(aStep("ready"), handler)
        expect(yield* bus.ready).toBe(true)
        // Reconnecting can take only milliseconds: watch closely from before the connections drop.
        const observed = new Set<boolean>()
        const watcher = yield* Effect.forkScoped(
          bus.ready.pipe(
            Effect.tap((r) => Effect.sync(() => observed.add(r))),
            Effect.andThen(Effect.sleep(1)),
            Effect.forever
          )
        )
        broker!.closeConnections()
        yield* eventually(
          Effect.sync(() => observed.has(false)),
          (seenDown) => seenDown,
          5_000
        )
        yield* eventually(bus.ready, (ready) => ready, 15_000)
        yield* Fiber.interrupt(watcher)
        yield* bus.publish([aMessage("ready.x")]).pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 }))
        yield* eventually(seen, (s) => s.length === 1)
      })
    )
  }, 30_000)

  it("publishes and consumes on separate connections", () => {
    const t = setup()
    return t.run(
      Effect.gen(function* () {
        yield* consume(aStep("conns"), () => Effect.void)
        const out = Bun.spawnSync(["rabbitmqctl", "-q", "list_connections", "vhost", "client_properties"], { stdout: "pipe" }).stdout.toString()
        const mine = out.split("\n").filter((line) => line.startsWith(`${broker!.vhost}\t`) && line.includes(`crm-sync ${t.prefix} `))
        const roles = mine.map((line) => /crm-sync \S+ (\w+)"/.exec(line)?.[1]).sort()
        expect(roles).toEqual(["consume", "publish"])
      })
    )
  }, 30_000)

  it("fails a publish whose confirms do not arrive in time as BusUnavailable, instead of hanging", () => {
    if (broker === undefined) throw new Error("broker not ready")
    const layer = RabbitMqBus.layer({ url: broker.url, prefix: `f${++counter}`, confirmTimeoutMs: 0, partitions: 2 })
    return runWith(layer)(
      Effect.gen(function* () {
        const error = yield* (yield* MessageBus).publish([aMessage("slow.confirm")]).pipe(Effect.flip)
        expect(error.reason._tag).toBe("BusUnavailable")
        expect(error.message).toContain("no publisher confirm within 0 ms")
      })
    )
  }, 30_000)

  it("records a dead letter before removing it: a failed record keeps it, retried after a pause, with one parking copy", () => {
    const t = setup()
    const recorded: Array<string> = []
    let attempts = 0
    return Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.deadLetters((letters) =>
        ++attempts === 1 ? Effect.fail("store down") : Effect.sync(() => void recorded.push(...letters.map((l) => `${l.step}|${l.envelope.type}`)))
      )
      // Every delivery is returned: with x-delivery-limit 0 the broker dead-letters it at once.
      yield* bus.consume(aStep("drain", { deliveryLimit: 0 }), (batch) => Effect.succeed(batch.map(() => ({ _tag: "Return" as const }))))
      yield* bus.publish([aMessage("drain.x")])
      const started = Date.now()
      yield* eventually(
        Effect.sync(() => recorded),
        (r) => r.length === 1,
        20_000
      )
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_000) // the pause after the failed record
      expect(recorded).toEqual(["drain|drain.x"])
      expect(attempts).toBe(2)
      const parking = yield* withChannel(t.url, (c) => c.checkQueue(t.names.parking))
      expect(parking.messageCount).toBe(1)
      const deadLetters = yield* withChannel(t.url, (c) => c.checkQueue(t.names.deadLetters))
      expect(deadLetters.messageCount).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(RabbitMqBus.layer({ url: t.url, prefix: t.prefix, partitions: 2 })), Effect.runPromise)
  }, 40_000)
})
