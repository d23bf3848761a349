// Settling during a short publishing outage: the retry copies wait for the bus to come back and
// the originals are acked, instead of being handed back at once to burn the delivery limit.
import { expect, test } from "bun:test"
import type { Channel, ConsumeMessage } from "amqplib"
import { Effect } from "effect"
import { type Publish, type Received, settleAll } from "../../src/adapters/rabbitmq/Settle.ts"
import { names } from "../../src/adapters/rabbitmq/Topology.ts"
import { BusUnavailable, MessageBusError } from "../../src/application/ports/MessageBus.ts"
import type { Envelope, Step } from "../../src/application/Step.ts"

const step: Step = { name: "s", bindings: ["x.#"], retryTiersMs: [100], maxAttempts: 3, deliveryLimit: 3, prefetch: 1 }
const envelope: Envelope = { id: "e-1", type: "x.y", payload: {}, occurredAt: 0, lane: "live", attempt: 1 }

const received = (log: Array<string>): Received => ({
  channel: { ack: () => log.push("ack"), nack: () => log.push("nack") } as unknown as Channel,
  message: { fields: {}, properties: { headers: {} }, content: Buffer.from("{}") } as unknown as ConsumeMessage,
  envelope
})

test("a retry copy whose publish fails for a moment is published once the bus is back, and the original acked", async () => {
  const log: Array<string> = []
  let failures = 2
  const publish: Publish = () =>
    Effect.suspend(() =>
      failures-- > 0
        ? Effect.fail(new MessageBusError({ reason: new BusUnavailable({ message: "reconnecting" }) }))
        : Effect.sync(() => void log.push("published"))
    )
  await Effect.runPromise(settleAll({ publish, names: names("p"), step }, [received(log)], [{ _tag: "Retry", delayMs: 100, attempt: 2, firstFailedAt: 0 }]))
  expect(log).toEqual(["published", "ack"])
})
