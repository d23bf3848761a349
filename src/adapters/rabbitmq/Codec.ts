// Envelope <-> AMQP message. The body carries the envelope (the routing key is lost on the way
// through retry tiers); the attempt and failure times travel as application headers.
import type { ConsumeMessage, Options } from "amqplib"
import { Predicate, Schema } from "effect"
import type { Envelope, OutgoingMessage } from "../../application/Step.ts"

export const Headers = {
  attempt: "x-attempt",
  firstFailedAt: "x-first-failed-at",
  parkReason: "x-park-reason",
  parkStep: "x-park-step"
} as const

const Body = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  payload: Schema.Unknown,
  occurredAt: Schema.Finite,
  lane: Schema.Literals(["live", "backfill"])
})
const decodeBody = Schema.decodeUnknownOption(Schema.fromJsonString(Body))

export interface Outgoing {
  readonly content: Buffer
  readonly options: Options.Publish
}

export const encode = (message: OutgoingMessage, headers: Record<string, unknown> = {}): Outgoing => ({
  content: Buffer.from(
    JSON.stringify({ id: message.id, type: message.type, payload: message.payload, occurredAt: message.occurredAt, lane: message.lane })
  ),
  options: {
    persistent: true,
    contentType: "application/json",
    messageId: message.id,
    type: message.type,
    timestamp: Math.floor(message.occurredAt / 1000),
    headers
  }
})

const header = (message: ConsumeMessage, name: string): unknown => message.properties.headers?.[name]
export const numberHeader = (message: ConsumeMessage, name: string): number | undefined => {
  const value = header(message, name)
  return Predicate.isNumber(value) ? value : undefined
}
export const stringHeader = (message: ConsumeMessage, name: string): string | undefined => {
  const value = header(message, name)
  return Predicate.isString(value) ? value : Buffer.isBuffer(value) ? value.toString() : undefined
}

/** Undecodable bodies still become an envelope, so they can be parked and inspected. */
export const decode = (message: ConsumeMessage): { readonly envelope: Envelope; readonly valid: boolean } => {
  const attempt = numberHeader(message, Headers.attempt) ?? 1
  const body = decodeBody(message.content.toString("utf8"))
  if (body._tag === "Some") return { envelope: { ...body.value, attempt }, valid: true }
  const envelope: Envelope = {
    id: Predicate.isString(message.properties.messageId) ? message.properties.messageId : `unknown-${message.fields.deliveryTag}`,
    type: message.fields.routingKey,
    payload: message.content.toString("utf8"),
    occurredAt: 0,
    lane: "live",
    attempt
  }
  return { envelope, valid: false }
}
