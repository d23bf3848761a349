// Plain amqplib from Bun against the real broker: the primitives the bus adapter relies on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib"
import { makeTestBroker, skipAmqp, type TestBroker } from "../support/amqp/AmqpTestBroker.ts"

describe.skipIf(skipAmqp)("amqplib against RabbitMQ", () => {
  let broker: TestBroker
  let connection: ChannelModel
  let channel: ConfirmChannel
  beforeAll(async () => {
    broker = await makeTestBroker()
    connection = await amqp.connect(broker.url)
    channel = await connection.createConfirmChannel()
  }, 60_000)
  afterAll(async () => {
    await connection?.close()
    broker?.dispose()
  }, 60_000)

  test("a quorum queue with a delivery limit is declared, and redeclaring it is idempotent", async () => {
    const args = { "x-queue-type": "quorum", "x-delivery-limit": 3 }
    const first = await channel.assertQueue("probe.quorum", { durable: true, arguments: args })
    const again = await channel.assertQueue("probe.quorum", { durable: true, arguments: args })
    expect(first.queue).toBe("probe.quorum")
    expect(again.messageCount).toBe(0)
  })

  test("a persistent message published on a confirm channel is confirmed, consumed and acked once", async () => {
    await channel.assertQueue("probe.confirm", { durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 3 } })
    await new Promise<void>((resolve, reject) =>
      channel.sendToQueue("probe.confirm", Buffer.from(JSON.stringify({ hello: "bun" })), { persistent: true }, (error) => (error ? reject(error) : resolve()))
    )
    const consumer = await connection.createChannel()
    await consumer.prefetch(1)
    const body = await new Promise<string>((resolve) => {
      void consumer.consume("probe.confirm", (message) => {
        if (message === null) return
        consumer.ack(message)
        resolve(message.content.toString())
      })
    })
    expect(JSON.parse(body)).toEqual({ hello: "bun" })
    await consumer.close()
    const after = await channel.checkQueue("probe.confirm")
    expect(after.messageCount).toBe(0)
  })

  test("a redeclaration with different arguments is refused by the broker (why topology names carry their settings)", async () => {
    const probe = await connection.createChannel()
    probe.on("error", () => {})
    await probe.assertQueue("probe.args", { durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 3 } })
    const refused = await probe
      .assertQueue("probe.args", { durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 4 } })
      .catch((e: unknown) => e)
    expect(String(refused)).toContain("PRECONDITION_FAILED")
  })
})
