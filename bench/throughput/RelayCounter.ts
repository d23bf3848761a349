// Counts what the service's outbox relay publishes: a private queue bound to `crm.#` on the
// service's topic exchange (`<AMQP_PREFIX>.events`, see docs/topology.md), consumed without acks.
import amqp from "amqplib"

export interface RelayCounter {
  /** Distinct message ids seen so far (a republished event counts once). */
  readonly distinct: () => number
  readonly close: () => Promise<void>
}

export const countRelayed = async (amqpUrl: string, prefix: string): Promise<RelayCounter> => {
  const connection = await amqp.connect(amqpUrl)
  const channel = await connection.createChannel()
  // Exclusive and auto-deleted: it goes away with this connection, whatever happens to the bench.
  const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true, durable: false })
  await channel.bindQueue(queue, `${prefix}.events`, "crm.#")
  const seen = new Set<string>()
  let anonymous = 0
  await channel.consume(
    queue,
    (message) => {
      const id = message?.properties.messageId
      if (typeof id === "string") seen.add(id)
      else if (message !== null) anonymous++
    },
    { noAck: true }
  )
  return {
    distinct: () => seen.size + anonymous,
    close: async () => {
      await channel.close().catch(() => {})
      await connection.close().catch(() => {})
    }
  }
}
