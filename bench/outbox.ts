// Webhook intake and outbox relay against the real FerretDB/MongoDB (MONGO_URL) and RabbitMQ
// (AMQP_URL): N events stored through the WebhookInbox port in request-sized batches, beside a raw
// insertMany of the same documents in the same run, then relayed through the RabbitMQ bus adapter.
// Everything it creates (a database, a vhost) is dropped at the end.
// Usage: MONGO_URL=… AMQP_URL=… bun run bench:outbox   (BENCH_EVENTS, BENCH_SENDERS, BENCH_RELAY_BATCH)
import { Deferred, Effect, Fiber, Layer } from "effect"
import { MongoClient } from "mongodb"
import { dbLayer } from "../src/adapters/mongo/MongoConnection.ts"
import * as MongoIdLinks from "../src/adapters/mongo/MongoIdLinks.ts"
import * as MongoWebhookInbox from "../src/adapters/mongo/MongoWebhookInbox.ts"
import * as RabbitMqBus from "../src/adapters/rabbitmq/RabbitMqBus.ts"
import { OutboxSignal } from "../src/application/OutboxSignal.ts"
import { WebhookInbox } from "../src/application/ports/WebhookInbox.ts"
import { runRelay } from "../src/application/RelayOutbox.ts"
import type { Step } from "../src/application/Step.ts"
import type { CrmChange } from "../src/domain/CrmChange.ts"
import { makeTestBroker } from "../test/support/amqp/AmqpTestBroker.ts"

const mongoUrl = process.env.MONGO_URL
if (mongoUrl === undefined || process.env.AMQP_URL === undefined) throw new Error("bench:outbox needs MONGO_URL and AMQP_URL")
const total = Number(process.env.BENCH_EVENTS ?? 20_000)
const senders = Number(process.env.BENCH_SENDERS ?? 10)
const relayBatch = Number(process.env.BENCH_RELAY_BATCH ?? 1000)
const requestSize = 100
const dbName = `crm_sync_bench_outbox_${Date.now().toString(36)}`

/** Shaped like a HubSpot contact.propertyChange, with its composite dedupe key. */
const change = (i: number): CrmChange => ({
  key: JSON.stringify([42, 7, "contact.propertyChange", 500 + i, 100 + i, 1_700_000_000_000 + i, "email"]),
  objectType: "contact",
  objectId: String(500 + i),
  kind: "propertyChange",
  occurredAt: 1_700_000_000_000 + i,
  propertyName: "email",
  propertyValue: `c${i}@example.com`,
  changeSource: "CRM_UI"
})
const requests = Array.from({ length: Math.ceil(total / requestSize) }, (_, r) =>
  Array.from({ length: Math.min(requestSize, total - r * requestSize) }, (_, i) => change(r * requestSize + i))
)
const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000)

/** Runs `send` over every request with `senders` requests in flight, like concurrent webhook senders. */
const timed = async (send: (batch: ReadonlyArray<CrmChange>) => Promise<unknown>): Promise<number> => {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < requests.length) await send(requests[next++]!)
    })
  )
  return performance.now() - started
}

const step: Step = { name: "bench-outbox", bindings: ["crm.#"], retryTiersMs: [1000], maxAttempts: 3, deliveryLimit: 5, prefetch: 100 }

const main = async () => {
  const client = await new MongoClient(mongoUrl).connect()
  const db = client.db(dbName)
  const broker = await makeTestBroker()
  try {
    // Baseline: the same documents, the same batches and concurrency, the same index, no port.
    const scratch = db.collection<{ _id: string; change: CrmChange; receivedAt: number }>("raw_scratch")
    await scratch.createIndex({ receivedAt: 1, _id: 1 })
    const rawMs = await timed((batch) =>
      scratch.insertMany(
        batch.map((c) => ({ _id: c.key, change: c, receivedAt: Date.now() })),
        { ordered: false }
      )
    )
    await scratch.drop()
    console.error(`raw insertMany: ${Math.round(rawMs)} ms`)

    const layer = Layer.mergeAll(
      MongoWebhookInbox.layer({ url: mongoUrl, dbName }),
      RabbitMqBus.layer({ url: broker.url, prefix: "bench", steps: [step] }),
      OutboxSignal.layer,
      // The relay keys each batch by its linked commerce objects: one links lookup per batch.
      MongoIdLinks.layer.pipe(Layer.provide(dbLayer({ url: mongoUrl, dbName })))
    )
    const program = Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const portMs = yield* Effect.promise(() => timed((batch) => Effect.runPromise(inbox.store(batch, Date.now()))))
      const stored = (yield* inbox.backlog).pending
      console.error(`stored ${stored} through the port in ${Math.round(portMs)} ms; relaying…`)
      // Counting marked events instead of polling the backlog: on FerretDB every count reads the collection.
      const drained = yield* Deferred.make<void>()
      let marked = 0
      const counting = WebhookInbox.of({
        ...inbox,
        markPublished: (batch) =>
          Effect.tap(inbox.markPublished(batch), () => ((marked += batch.events.length) >= stored ? Deferred.succeed(drained, undefined) : Effect.void))
      })
      const started = performance.now()
      const relay = runRelay({ claimant: "bench", batchSize: relayBatch, leaseMs: 60_000, idleMs: 1000 })
      const relaying = yield* Effect.forkScoped(Effect.provideService(relay, WebhookInbox, counting))
      yield* Deferred.await(drained)
      const drainMs = performance.now() - started
      yield* Fiber.interrupt(relaying)
      return { portMs, stored, drainMs, left: (yield* inbox.backlog).pending }
    })
    const { portMs, stored, drainMs, left } = await Effect.runPromise(Effect.scoped(Effect.provide(program, layer)))
    const rawRate = perSecond(total, rawMs)
    const portRate = perSecond(total, portMs)
    console.log(`${total} events, ${senders} concurrent senders, ${requestSize} events a request; relay batch ${relayBatch}`)
    console.table({
      "raw insertMany": { "events/s": rawRate, seconds: +(rawMs / 1000).toFixed(2) },
      "WebhookInbox.store": { "events/s": portRate, seconds: +(portMs / 1000).toFixed(2), "ratio to raw": +(portRate / rawRate).toFixed(2), stored },
      "relay drain (claim, publish+confirm, mark)": { "events/s": perSecond(stored, drainMs), seconds: +(drainMs / 1000).toFixed(2), left }
    })
  } finally {
    await db.dropDatabase().catch(() => {})
    await client.close()
    broker.dispose()
  }
}

await main()
