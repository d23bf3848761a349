// Publishes the shop's `commerce.user_created` events the way the platform (and the commerce
// simulator) does: the message envelope as JSON on the service's topic exchange, persistent,
// confirmed, in chunks, so publishing never limits the flow it feeds.
import amqp from "amqplib"
import type { Rec } from "../../test/support/commerce/CommerceSimulator.ts"

const chunk = 500

export const publishUserCreated = async (amqpUrl: string, prefix: string, users: ReadonlyArray<Rec>): Promise<void> => {
  const connection = await amqp.connect(amqpUrl)
  try {
    const channel = await connection.createConfirmChannel()
    for (let i = 0; i < users.length; i += chunk) {
      for (const user of users.slice(i, i + chunk)) {
        const id = crypto.randomUUID()
        const occurredAt = Date.now()
        const type = "commerce.user_created"
        const body = { id, type, payload: { id: String(user["id"]), occurredAt, payload: user }, occurredAt, lane: "live" }
        channel.publish(`${prefix}.events`, type, Buffer.from(JSON.stringify(body)), {
          persistent: true,
          contentType: "application/json",
          messageId: id,
          type,
          timestamp: Math.floor(occurredAt / 1000),
          headers: {}
        })
      }
      await channel.waitForConfirms()
    }
    await channel.close()
  } finally {
    await connection.close().catch(() => {})
  }
}
