// keepAttached on a real broker: a re-attach still opening its channel when the attachment is
// stopped (a partition released while its channel is being re-opened) must not leave a consumer
// behind — on a single-active-consumer queue that consumer would take deliveries nobody settles.
import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import amqp, { type Channel } from "amqplib"
import { Effect } from "effect"
import { keepAttached } from "../../src/adapters/rabbitmq/Attachment.ts"
import * as Session from "../../src/adapters/rabbitmq/Session.ts"
import { makeTestBroker, skipAmqp, type TestBroker } from "../support/amqp/AmqpTestBroker.ts"

let broker: TestBroker | undefined
const url = () => {
  if (broker === undefined) throw new Error("broker not ready")
  return broker.url
}

const consumersOf = async (queue: string) => {
  const connection = await amqp.connect(url())
  try {
    const channel = await connection.createChannel()
    return (await channel.checkQueue(queue)).consumerCount
  } finally {
    await connection.close()
  }
}

describe.skipIf(skipAmqp)("keepAttached (real broker)", () => {
  beforeAll(async () => {
    broker = await makeTestBroker()
  }, 60_000)
  afterAll(() => broker?.dispose(), 60_000)

  it(
    "a channel that finishes opening after stop() is closed, not left consuming",
    () =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const queue = `attach-${Date.now()}`
            const session = yield* Session.make({ url: url(), heartbeatSeconds: 10, reconnectMaxDelayMs: 1_000, connectionName: "attachment test" })
            let opens = 0
            let first: Channel | undefined
            let letSecondFinish: () => void = () => undefined
            const gate = new Promise<void>((resolve) => {
              letSecondFinish = resolve
            })
            const attachment = yield* keepAttached(session, queue, async (model) => {
              const n = ++opens
              const channel = await model.createChannel()
              await channel.assertQueue(queue, { durable: false })
              // The re-attach: its consumer is set up, the open not returned yet.
              await channel.consume(queue, () => undefined)
              if (n === 1) first = channel
              else await gate
              return channel
            })
            expect(yield* Effect.promise(() => consumersOf(queue))).toBe(1)
            // The broker-side close of the first channel starts a re-attach (after 100 ms).
            yield* Effect.promise(() => (first as Channel).close())
            while (opens < 2) yield* Effect.sleep(10)
            // Released while that open is in flight: the caller closes what is current (nothing).
            attachment.stop()
            const current = attachment.current()
            if (current !== undefined) yield* Effect.promise(() => current.close())
            letSecondFinish()
            yield* Effect.sleep(300)
            expect(yield* Effect.promise(() => consumersOf(queue))).toBe(0)
            expect(attachment.current()).toBeUndefined()
          })
        )
      ),
    20_000
  )
})
