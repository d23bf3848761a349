// Envelope <-> AMQP message. The body carries the envelope (the routing key is lost on the way
// through retry tiers); the attempt and failure times travel as application headers.
import type { ConsumeMessage, Options } from "amqplib"
import { Predicate } from "effect"
import type { Delivery } from "../../application/ports/MessageBus.ts"
import type { Envelope, OutgoingMessage } from "../../application/Step.ts"

export const Headers = {
  attempt: "x-attempt",
  firstFailedAt: "x-first-failed-at",
  parkReason: "x-park-reason",
  parkStep: "x-park-step",
  /** The object the message is about (issue 12); the partitioner hashes it. */
  partitionKey: "x-partition-key"
} as const

type Body = Pick<Envelope, "id" | "type" | "payload" | "occurredAt" | "lane">

/**
 * The body's envelope fields, or undefined when the text is not JSON or a field is missing or of
 * the wrong type; other keys are dropped. What `Schema.decodeUnknownOption(Schema.fromJsonString(
 * Struct({ id: String, type: String, payload: Unknown, occurredAt: Finite, lane: Literals })))`
 * accepted, checked by hand: every consumed message goes through here, and the schema's fiber per
 * call cost more than the JSON parse itself (~3 % of the service's CPU on a CRM backfill).
 * test/rabbitmq/Codec.test.ts holds the two to the same answers.
 */
export const decodeBody = (text: string): Body | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined
  const body = parsed as Record<string, unknown>
  const { id, type, occurredAt, lane } = body
  if (typeof id !== "string" || typeof type !== "string" || !Object.hasOwn(body, "payload")) return undefined
  if (typeof occurredAt !== "number" || !Number.isFinite(occurredAt) || (lane !== "live" && lane !== "backfill")) return undefined
  return { id, type, payload: body["payload"], occurredAt, lane }
}

export interface Outgoing {
  readonly content: Buffer
  readonly options: Options.Publish
}

export const encode = (message: OutgoingMessage, headers: Record<string, unknown> = {}): Outgoing => ({
  content: Buffer.from(JSON.stringify({ id: message.id, type: message.type, payload: message.payload, occurredAt: message.occurredAt, lane: message.lane })),
  options: {
    persistent: true,
    contentType: "application/json",
    messageId: message.id,
    type: message.type,
    timestamp: Math.floor(message.occurredAt / 1000),
    // Kept on every copy (retry tiers, parking), so a retried message comes back to its partition.
    headers: message.partitionKey === undefined ? headers : { ...headers, [Headers.partitionKey]: message.partitionKey }
  }
})

/**
 * The step whose queue dead-lettered the message and why. The x-death entries are newest first
 * and one exists per (queue, reason): the first-death headers would name a retry tier's TTL
 * expiry when the message went through a tier before its handler crashed past the limit.
 */
export const deathOf = (message: ConsumeMessage): { readonly queue: string; readonly reason: string } => {
  const deaths = header(message, "x-death")
  const entries = Array.isArray(deaths) ? deaths.filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null) : []
  const limit = entries.find((d) => d["reason"] === "delivery_limit")
  const chosen = limit ?? entries[0]
  const text = (v: unknown) => (Predicate.isString(v) ? v : Buffer.isBuffer(v) ? v.toString() : undefined)
  return {
    queue: text(chosen?.["queue"]) ?? stringHeader(message, "x-first-death-queue") ?? "",
    reason: text(chosen?.["reason"]) ?? stringHeader(message, "x-first-death-reason") ?? "dead-lettered"
  }
}

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
export const decode = (message: ConsumeMessage): Delivery => {
  const attempt = numberHeader(message, Headers.attempt) ?? 1
  const firstFailedAt = numberHeader(message, Headers.firstFailedAt)
  const body = decodeBody(message.content.toString("utf8"))
  const partitionKey = stringHeader(message, Headers.partitionKey)
  if (body !== undefined) return { envelope: { ...body, attempt, ...(partitionKey === undefined ? {} : { partitionKey }) }, firstFailedAt, undecodable: false }
  const envelope: Envelope = {
    id: Predicate.isString(message.properties.messageId) ? message.properties.messageId : `unknown-${message.fields.deliveryTag}`,
    type: message.fields.routingKey,
    payload: message.content.toString("utf8"),
    occurredAt: 0,
    lane: "live",
    attempt
  }
  return { envelope, firstFailedAt, undecodable: true }
}
