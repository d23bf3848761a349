// Publish-with-confirm and consume throughput of RabbitMqBus against the real broker (AMQP_URL).
// Runs in a throwaway vhost. Usage: AMQP_URL=amqp://guest:guest@127.0.0.1:5672 bun bench/bus-throughput.ts
import { Deferred, Effect } from "effect"
import * as RabbitMqBus from "../src/adapters/rabbitmq/RabbitMqBus.ts"
import { type Delivery, MessageBus, type Settlement } from "../src/application/ports/MessageBus.ts"
import type { OutgoingMessage, Step } from "../src/application/Step.ts"
import { makeTestBroker } from "../test/support/amqp/AmqpTestBroker.ts"

const count = Number(process.env.BENCH_MESSAGES ?? 20_000)
const message = (i: number): OutgoingMessage => ({
  id: `b-${i}`,
  type: "bench.event",
  payload: { i, name: "Ada Lovelace", email: "ada@example.com" },
  occurredAt: Date.now(),
  lane: "backfill"
})
const step = (prefetch: number): Step => ({
  name: `bench-${prefetch}`,
  bindings: ["bench.#"],
  retryTiersMs: [1000],
  maxAttempts: 3,
  deliveryLimit: 5,
  prefetch
})
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString("en")} msg/s`

// One round trip per confirm makes batch 1 slow: it gets a tenth of the messages.
const publishRun = (batch: number) =>
  Effect.gen(function* () {
    const bus = yield* MessageBus
    const total = batch === 1 ? Math.ceil(count / 10) : count
    const started = Date.now()
    for (let i = 0; i < total; i += batch) {
      yield* bus.publish(Array.from({ length: Math.min(batch, total - i) }, (_, j) => message(i + j)))
    }
    console.log(`publish  batch ${String(batch).padStart(5)}: ${rate(total, Date.now() - started)}`)
  })

const consumeRun = (prefetch: number) =>
  Effect.gen(function* () {
    const bus = yield* MessageBus
    const total = count
    const s = step(prefetch)
    const acked = (batch: ReadonlyArray<Delivery>) => batch.map((): Settlement => ({ _tag: "Ack" }))
    yield* bus.consume(s, (batch) => Effect.succeed(acked(batch))).pipe(Effect.scoped) // declare and bind, then stop
    yield* bus.publish(Array.from({ length: total }, (_, i) => message(i)))
    const done = yield* Deferred.make<void>()
    let consumed = 0
    const started = Date.now()
    yield* bus.consume(s, (batch) =>
      Effect.sync(() => {
        consumed += batch.length
        if (consumed >= total) Deferred.doneUnsafe(done, Effect.void)
        return acked(batch)
      })
    )
    yield* Deferred.await(done)
    console.log(`consume prefetch ${String(prefetch).padStart(4)}: ${rate(total, Date.now() - started)}`)
  }).pipe(Effect.scoped)

const main = Effect.gen(function* () {
  const broker = yield* Effect.promise(() => makeTestBroker())
  // Publish runs declare a bound step queue, so messages are routed to (and confirmed by) a quorum queue.
  const layer = (prefix: string, steps: ReadonlyArray<Step> = []) => RabbitMqBus.layer({ url: broker.url, prefix, steps })
  console.log(`${count} messages per run, RabbitMQ at ${broker.url.replace(/\/\/.*@/, "//")}`)
  yield* Effect.gen(function* () {
    for (const batch of [1, 10, 100, 1000]) yield* publishRun(batch).pipe(Effect.provide(layer(`pub${batch}`, [step(1)])))
    for (const prefetch of [1, 10, 100, 500]) yield* consumeRun(prefetch).pipe(Effect.provide(layer(`con${prefetch}`)))
  }).pipe(Effect.ensuring(Effect.sync(() => broker.dispose())))
})

Effect.runPromise(main)
