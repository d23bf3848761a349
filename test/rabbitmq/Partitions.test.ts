// Per-object partitions on a real broker (issue 12): one key's messages land on one partition
// queue in order; a partition has one consumer across bus instances (single active consumer);
// releasing an index or losing a connection hands its messages to the other instance.
import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import amqp from "amqplib"
import { Context, Effect, Layer, Ref } from "effect"
import * as RabbitMqBus from "../../src/adapters/rabbitmq/RabbitMqBus.ts"
import { names } from "../../src/adapters/rabbitmq/Topology.ts"
import { partitionOf } from "../../src/application/Partitioning.ts"
import { type BatchConsumer, MessageBus, type Settlement } from "../../src/application/ports/MessageBus.ts"
import type { Step } from "../../src/application/Step.ts"
import { aMessage, aStep, eventually } from "../contract/MessageBus.contract.ts"
import { makeTestBroker, skipAmqp, type TestBroker } from "../support/amqp/AmqpTestBroker.ts"

let broker: TestBroker | undefined
let counter = 0
const PARTITIONS = 4

interface Handled {
  readonly bus: string
  readonly id: string
  readonly key: string
  readonly start: number
  readonly end: number
}

const url = () => {
  if (broker === undefined) throw new Error("broker not ready")
  return broker.url
}

/** A bus instance (a replica) on the shared prefix. */
const busOf = (prefix: string, replica: string, owned?: ReadonlyArray<number>) =>
  Layer.build(RabbitMqBus.layer({ url: url(), prefix, partitions: PARTITIONS, replica, ...(owned === undefined ? {} : { owned }) })).pipe(
    Effect.map((context) => Context.get(context, MessageBus))
  )

/** A handler that records each delivery with its bus and times, taking `ms` per batch. */
const recording =
  (log: Ref.Ref<ReadonlyArray<Handled>>, bus: string, ms: number): BatchConsumer =>
  (batch) =>
    Effect.gen(function* () {
      const start = Date.now()
      yield* Effect.sleep(ms)
      const end = Date.now()
      yield* Ref.update(log, (all) => [...all, ...batch.map((d) => ({ bus, id: d.envelope.id, key: d.envelope.partitionKey ?? "", start, end }))])
      return batch.map((): Settlement => ({ _tag: "Ack" }))
    })

const keyed = (step: Step, n: number, keys: ReadonlyArray<string>) =>
  Array.from({ length: n }, (_, i) => ({ ...aMessage(`${step.name}.n${i}`, { i }), partitionKey: keys[i % keys.length] as string }))

const idsByKey = (handled: ReadonlyArray<{ readonly id: string; readonly key?: string; readonly partitionKey?: string }>, key: string) =>
  handled.filter((h) => (h.key ?? h.partitionKey) === key).map((h) => h.id)

/** Closes the broker-side connections whose name contains `name`, as a killed process's would drop. */
const killConnections = (vhost: string, name: string) => {
  const list = Bun.spawnSync(["rabbitmqctl", "list_connections", "-p", vhost, "pid", "client_properties", "--quiet", "--no-table-headers"], { stdout: "pipe" })
  const pids = list.stdout
    .toString()
    .split("\n")
    .filter((line) => line.includes(name))
    .map((line) => line.split("\t")[0] as string)
  for (const pid of pids) Bun.spawnSync(["rabbitmqctl", "close_connection", pid, "killed by test"], { stdout: "pipe", stderr: "pipe" })
  return pids.length
}

const run = <A, E>(program: Effect.Effect<A, E, import("effect").Scope.Scope>) => Effect.runPromise(Effect.scoped(program) as Effect.Effect<A, E>)

describe.skipIf(skipAmqp)("RabbitMqBus partitions (real broker)", () => {
  beforeAll(async () => {
    broker = await makeTestBroker()
  }, 60_000)
  afterAll(() => broker?.dispose(), 60_000)

  it(
    "puts one key's messages on one partition queue, in publish order",
    () =>
      run(
        Effect.gen(function* () {
          const prefix = `p${++counter}`
          // Holding no index: the partitioner moves messages, nothing consumes the partitions.
          const bus = yield* busOf(prefix, "a", [])
          const step = aStep(prefix)
          yield* bus.consume(step, () => Effect.die("no partition is held"))
          const keys = ["user:u-1", "business:b-2", "purchase:p-3", "user:u-4", "user:u-5"]
          const sent = keyed(step, 50, keys)
          yield* bus.publish(sent)
          yield* eventually(bus.depths, (d) => d.find((q) => q.step === step.name && q.queue === "partitions")?.messages === 50)
          const n = names(prefix)
          const found = yield* Effect.promise(async () => {
            const connection = await amqp.connect(url())
            const channel = await connection.createChannel()
            const out: Array<{ id: string; key: string; k: number }> = []
            // basic.get is refused on single-active-consumer queues: consume each one briefly.
            for (let k = 0; k < PARTITIONS; k++) {
              const { consumerTag } = await channel.consume(
                n.partitionQueue(step.name, k),
                (message) => {
                  if (message !== null) out.push({ id: String(message.properties.messageId), key: String(message.properties.headers?.["x-partition-key"]), k })
                },
                { noAck: true }
              )
              await Bun.sleep(300)
              await channel.cancel(consumerTag)
            }
            await connection.close()
            return out
          })
          expect(found.length).toBe(50)
          for (const key of keys) {
            expect(new Set(found.filter((f) => f.key === key).map((f) => f.k))).toEqual(new Set([partitionOf(key, PARTITIONS)]))
            expect(idsByKey(found, key)).toEqual(
              idsByKey(
                sent.map((m) => ({ id: m.id, key: m.partitionKey })),
                key
              )
            )
          }
        })
      ),
    30_000
  )

  it(
    "two instances that both think they own every index never consume one partition at once",
    () =>
      run(
        Effect.gen(function* () {
          const prefix = `p${++counter}`
          const log = yield* Ref.make<ReadonlyArray<Handled>>([])
          const step = aStep(prefix, { prefetch: 3, batchWindowMs: 1 })
          const a = yield* busOf(prefix, "a")
          yield* a.consume(step, recording(log, "a", 15))
          const b = yield* busOf(prefix, "b")
          yield* b.consume(step, recording(log, "b", 15))
          const keys = Array.from({ length: 12 }, (_, i) => `user:u-${i}`)
          const sent = keyed(step, 96, keys)
          yield* a.publish(sent.slice(0, 48))
          yield* b.publish(sent.slice(48))
          const handled = yield* eventually(Ref.get(log), (l) => l.length >= 96, 20_000)
          expect(new Set(handled.map((h) => h.id)).size).toBe(96)
          for (let k = 0; k < PARTITIONS; k++) {
            const mine = handled.filter((h) => partitionOf(h.key, PARTITIONS) === k)
            // One consumer per partition: every delivery of index k went to one instance.
            expect(new Set(mine.map((h) => h.bus)).size).toBeLessThanOrEqual(1)
          }
          for (const key of keys) expect(idsByKey(handled, key)).toEqual(idsByKey(sent, key))
        })
      ),
    30_000
  )

  it(
    "releasing its indexes hands the queued messages to the other instance: none lost, none twice, order kept",
    () =>
      run(
        Effect.gen(function* () {
          const prefix = `p${++counter}`
          const log = yield* Ref.make<ReadonlyArray<Handled>>([])
          const step = aStep(prefix, { prefetch: 3, batchWindowMs: 1 })
          const a = yield* busOf(prefix, "a")
          yield* a.consume(step, recording(log, "a", 20))
          yield* eventually(a.held, (held) => held.length === PARTITIONS)
          // b waits as the standby of every partition.
          const b = yield* busOf(prefix, "b")
          yield* b.consume(step, recording(log, "b", 20))
          yield* eventually(b.held, (held) => held.length === PARTITIONS)
          const keys = Array.from({ length: 8 }, (_, i) => `business:b-${i}`)
          const sent = keyed(step, 120, keys)
          yield* a.publish(sent)
          yield* eventually(Ref.get(log), (l) => l.length >= 20)
          yield* a.assign([])
          const releasedAt = Date.now()
          expect(yield* a.held).toEqual([])
          const handled = yield* eventually(Ref.get(log), (l) => new Set(l.map((h) => h.id)).size >= 120, 20_000)
          yield* Effect.sleep(300)
          const all = yield* Ref.get(log)
          expect(all.length).toBe(120)
          expect(new Set(all.map((h) => h.id)).size).toBe(120)
          expect(all.filter((h) => h.bus === "a" && h.end > releasedAt)).toEqual([])
          expect(all.filter((h) => h.bus === "b").length).toBeGreaterThan(0)
          for (const key of keys) expect(idsByKey(handled, key)).toEqual(idsByKey(sent, key))
        })
      ),
    40_000
  )

  it(
    "a lost connection moves its partitions to the standby: every message is handled",
    () =>
      run(
        Effect.gen(function* () {
          const prefix = `p${++counter}`
          const log = yield* Ref.make<ReadonlyArray<Handled>>([])
          const step = aStep(prefix, { prefetch: 3, batchWindowMs: 1, deliveryLimit: 5 })
          const a = yield* busOf(prefix, `a-${prefix}`)
          yield* a.consume(step, recording(log, "a", 20))
          yield* eventually(a.held, (held) => held.length === PARTITIONS)
          const b = yield* busOf(prefix, `b-${prefix}`)
          yield* b.consume(step, recording(log, "b", 20))
          yield* eventually(b.held, (held) => held.length === PARTITIONS)
          const sent = keyed(
            step,
            120,
            Array.from({ length: 8 }, (_, i) => `purchase:p-${i}`)
          )
          yield* a.publish(sent)
          yield* eventually(Ref.get(log), (l) => l.length >= 20)
          const killedAt = Date.now()
          expect(killConnections(broker?.vhost ?? "", `consume a-${prefix}`)).toBe(1)
          // Every message handled; a's unacked ones are redelivered (to b) and handled again.
          const handled = yield* eventually(Ref.get(log), (l) => new Set(l.map((h) => h.id)).size >= 120, 20_000)
          expect(new Set(handled.map((h) => h.id))).toEqual(new Set(sent.map((m) => m.id)))
          const afterKill = handled.filter((h) => h.start > killedAt)
          expect(afterKill.filter((h) => h.bus === "b").length).toBeGreaterThan(0)
          console.log(`after the kill: ${afterKill.filter((h) => h.bus === "b").length} handled by b, ${handled.length - 120} redelivered twice`)
        })
      ),
    40_000
  )

  it(
    "two steps on shared indexes: a lost connection with batches in flight moves both steps' partitions to the standby, nothing stalls",
    () =>
      run(
        Effect.gen(function* () {
          const prefix = `p${++counter}`
          const log = yield* Ref.make<ReadonlyArray<Handled>>([])
          // Two steps (flows A and C of one pair) whose batches share the per-index permits.
          const steps = [
            aStep(`${prefix}.s1`, { prefetch: 6, batchWindowMs: 5, deliveryLimit: 5 }),
            aStep(`${prefix}.s2`, { prefetch: 6, batchWindowMs: 5, deliveryLimit: 5 })
          ]
          const a = yield* busOf(prefix, `a-${prefix}`)
          for (const step of steps) yield* a.consume(step, recording(log, `a:${step.name}`, 30))
          yield* eventually(a.held, (held) => held.length === PARTITIONS)
          const b = yield* busOf(prefix, `b-${prefix}`)
          for (const step of steps) yield* b.consume(step, recording(log, `b:${step.name}`, 30))
          yield* eventually(b.held, (held) => held.length === PARTITIONS)
          const keys = Array.from({ length: 8 }, (_, i) => `user:u-${i}`)
          const sent = steps.flatMap((step) => keyed(step, 120, keys))
          yield* a.publish(sent)
          yield* eventually(Ref.get(log), (l) => l.length >= 30)
          expect(killConnections(broker?.vhost ?? "", `consume a-${prefix}`)).toBe(1)
          const handled = yield* eventually(Ref.get(log), (l) => new Set(l.map((h) => h.id)).size >= sent.length, 25_000)
          expect(new Set(handled.map((h) => h.id))).toEqual(new Set(sent.map((m) => m.id)))
        })
      ),
    40_000
  )
})
