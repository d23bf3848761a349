// A backfill publish waits its turn for live work (LiveFirst), on the real broker.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as RabbitMqBus from "../../src/adapters/rabbitmq/RabbitMqBus.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { makeTestBroker, skipAmqp, type TestBroker } from "../support/amqp/AmqpTestBroker.ts"
import { waitsForLive } from "../support/LiveFirstProbe.ts"

let broker: TestBroker | undefined

describe.skipIf(skipAmqp)("RabbitMqBus and live work (LiveFirst)", () => {
  beforeAll(async () => {
    broker = await makeTestBroker()
  }, 60_000)
  afterAll(() => broker?.dispose(), 60_000)

  test("a backfill publish waits for the process's live work, then is confirmed", async () => {
    if (broker === undefined) throw new Error("broker not ready")
    const bus = RabbitMqBus.layer({ url: broker.url, prefix: "lf", partitions: 1 })
    const publish = Effect.flatMap(MessageBus, (b) =>
      b.publish([{ id: "m1", type: "crm.company.changed", payload: {}, occurredAt: 0, lane: "backfill" }])
    ).pipe(Effect.provide(bus), Effect.orDie)
    expect(await waitsForLive(publish, 500)).toEqual({ waited: true, finished: true })
  }, 30_000)
})
