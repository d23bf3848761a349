// Publishes a batch on a confirm channel and resolves once the broker confirmed every message.
import type { ConfirmChannel } from "amqplib"
import { Effect } from "effect"
import { BusRejected, BusUnavailable, MessageBusError } from "../../application/ports/MessageBus.ts"
import type { Outgoing } from "./Codec.ts"

export interface Publication extends Outgoing {
  readonly exchange: string
  readonly routingKey: string
}

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const unavailable = (cause: unknown): MessageBusError => new MessageBusError({ reason: new BusUnavailable({ message: messageOf(cause) }) })

/** amqplib reports a broker nack (e.g. reject-publish on a full queue) as "message nacked". */
const toBusError = (cause: unknown): MessageBusError =>
  /nack/i.test(messageOf(cause))
    ? new MessageBusError({ reason: new BusRejected({ message: `broker refused the message: ${messageOf(cause)}` }) })
    : unavailable(cause)

const send = (channel: ConfirmChannel, item: Publication): { confirmed: Promise<void>; full: boolean } => {
  let full = false
  const confirmed = new Promise<void>((resolve, reject) => {
    full = !channel.publish(item.exchange, item.routingKey, item.content, item.options, (err) => (err ? reject(err) : resolve()))
  })
  return { confirmed, full }
}

const drainedOrClosed = (channel: ConfirmChannel) =>
  new Promise<void>((resolve) => {
    const done = () => {
      channel.off("drain", done)
      channel.off("close", done)
      resolve()
    }
    channel.on("drain", done)
    channel.on("close", done)
  })

class Unroutable extends Error {}

/** The header that tells our own mandatory publishes apart when the broker returns one. */
const TOKEN = "x-crm-sync-publish"

// Honours back-pressure: when the socket buffer is full, wait for "drain" before writing more.
// A mandatory message no queue took comes back (basic.return) before its confirm: once every
// confirm is in, every return of this batch has arrived.
const publishAll = async (channel: ConfirmChannel, items: ReadonlyArray<Publication>): Promise<void> => {
  const tokens = new Set<string>()
  const returned: Array<string> = []
  const onReturn = (message: { properties: { headers?: Record<string, unknown> }; fields: { routingKey: string } }) => {
    const token = message.properties.headers?.[TOKEN]
    if (typeof token === "string" && tokens.has(token)) returned.push(message.fields.routingKey)
  }
  channel.on("return", onReturn)
  try {
    const confirms: Array<Promise<void>> = []
    for (const item of items) {
      const mandatory = item.options.mandatory === true
      const token = mandatory ? crypto.randomUUID() : undefined
      if (token !== undefined) tokens.add(token)
      const options = token === undefined ? item.options : { ...item.options, headers: { ...item.options.headers, [TOKEN]: token } }
      const { confirmed, full } = send(channel, { ...item, options })
      confirmed.catch(() => undefined)
      confirms.push(confirmed)
      if (full) await drainedOrClosed(channel)
    }
    await Promise.all(confirms)
  } finally {
    channel.off("return", onReturn)
  }
  if (returned.length > 0) throw new Unroutable(`unroutable: no queue for ${[...new Set(returned)].join(", ")} (${returned.length} message(s))`)
}

const toPublishError = (cause: unknown): MessageBusError =>
  cause instanceof Unroutable ? new MessageBusError({ reason: new BusRejected({ message: cause.message }) }) : toBusError(cause)

export const publishConfirmed = (channel: ConfirmChannel, items: ReadonlyArray<Publication>) =>
  items.length === 0 ? Effect.void : Effect.tryPromise({ try: () => publishAll(channel, items), catch: toPublishError })
