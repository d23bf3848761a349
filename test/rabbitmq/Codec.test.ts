// The hand-written body check accepts and returns exactly what the schema it replaced did, and an
// undecodable body still becomes an envelope to park.
import { describe, expect, test } from "bun:test"
import type { ConsumeMessage } from "amqplib"
import { Option, Schema } from "effect"
import fc from "fast-check"
import { decode, decodeBody, encode } from "../../src/adapters/rabbitmq/Codec.ts"

const Body = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  payload: Schema.Unknown,
  occurredAt: Schema.Finite,
  lane: Schema.Literals(["live", "backfill"])
})
const bySchema = (text: string) => Option.getOrUndefined(Schema.decodeUnknownOption(Schema.fromJsonString(Body))(text))

const field = <A>(valid: fc.Arbitrary<A>) =>
  fc.oneof(
    { weight: 4, arbitrary: valid.map((v) => ({ v })) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant(undefined),
        fc.jsonValue().map((v) => ({ v }))
      )
    }
  )
const body = fc.record({
  id: field(fc.string()),
  type: field(fc.string()),
  payload: field(fc.jsonValue()),
  occurredAt: field(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
  lane: field(fc.constantFrom("live", "backfill", "other")),
  extra: field(fc.jsonValue())
})
const textOf = (b: Record<string, { v: unknown } | undefined>) =>
  JSON.stringify(Object.fromEntries(Object.entries(b).flatMap(([k, f]) => (f === undefined ? [] : [[k, f.v]]))))

const message = (content: string, headers: Record<string, unknown> = {}): ConsumeMessage =>
  ({
    content: Buffer.from(content),
    fields: { deliveryTag: 7, routingKey: "crm.change", redelivered: false, exchange: "x", consumerTag: "c" },
    properties: { headers, messageId: "m-1" }
  }) as unknown as ConsumeMessage

describe("Codec", () => {
  test("the body check gives the schema's answer for any JSON object", () => {
    fc.assert(
      fc.property(body, (b) => {
        const text = textOf(b)
        expect(decodeBody(text)).toEqual(bySchema(text))
      }),
      { numRuns: 2000 }
    )
  })

  test("the body check gives the schema's answer for texts that are not an envelope", () => {
    for (const text of ["", "nope", "[1]", "null", "1", '"s"', '{"id":"a"', '{"id":"a","type":"t","occurredAt":1e400,"lane":"live","payload":1}'])
      expect(decodeBody(text)).toEqual(bySchema(text))
    fc.assert(fc.property(fc.jsonValue(), (v) => expect(decodeBody(JSON.stringify(v))).toEqual(bySchema(JSON.stringify(v)))))
  })

  test("the body keeps only the envelope's keys, in the schema's order", () => {
    const decoded = decodeBody('{"lane":"backfill","extra":1,"occurredAt":5,"payload":{"a":[1]},"type":"t","id":"i"}')
    expect(decoded === undefined ? [] : Object.keys(decoded)).toEqual(["id", "type", "payload", "occurredAt", "lane"])
    expect(decoded).toEqual({ id: "i", type: "t", payload: { a: [1] }, occurredAt: 5, lane: "backfill" })
  })

  test("an encoded message decodes to its envelope with the attempt and partition key", () => {
    const out = encode({ id: "m", type: "t", payload: { x: 1 }, occurredAt: 12, lane: "live", partitionKey: "k" }, { "x-attempt": 3 })
    const delivery = decode(message(out.content.toString("utf8"), out.options.headers))
    expect(delivery).toEqual({
      envelope: { id: "m", type: "t", payload: { x: 1 }, occurredAt: 12, lane: "live", attempt: 3, partitionKey: "k" },
      firstFailedAt: undefined,
      undecodable: false
    })
  })

  test("an undecodable body becomes an envelope to park", () => {
    const delivery = decode(message('{"id":"a"}'))
    expect(delivery.undecodable).toBe(true)
    expect(delivery.envelope).toEqual({ id: "m-1", type: "crm.change", payload: '{"id":"a"}', occurredAt: 0, lane: "live", attempt: 1 })
  })
})
