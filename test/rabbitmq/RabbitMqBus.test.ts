import { afterAll, afterEach, beforeAll, describe } from "bun:test"
import * as RabbitMqBus from "../../src/adapters/rabbitmq/RabbitMqBus.ts"
import { messageBusContract } from "../contract/MessageBus.contract.ts"
import { makeTestBroker, skipAmqp, type TestBroker } from "../support/amqp/AmqpTestBroker.ts"

let broker: TestBroker | undefined
let run = 0

describe.skipIf(skipAmqp)("RabbitMqBus (real broker)", () => {
  beforeAll(async () => {
    broker = await makeTestBroker()
  }, 60_000)
  afterAll(() => broker?.dispose(), 60_000)
  // Each test declares a whole topology under its prefix: drop it once the test is over.
  afterEach(() => broker?.deleteQueues(`t${run}.`), 60_000)

  messageBusContract("RabbitMqBus", () => {
    if (broker === undefined) throw new Error("broker not ready")
    // A fresh prefix per test: names never collide, and the vhost is deleted at the end.
    // Two partitions: every one is a quorum queue per step, and the shared broker is small.
    return RabbitMqBus.layer({ url: broker.url, prefix: `t${++run}`, partitions: 2 })
  })
})
