// Generates docs/asyncapi.yaml (AsyncAPI 3.0) from the Effect Schemas in CommerceMessages.ts:
// `bun scripts/asyncapi.ts`. test/commerce/AsyncApi.test.ts fails when the file is stale.
import { Schema } from "effect"
import * as JsonSchema from "effect/JsonSchema"
import pkg from "../package.json" with { type: "json" }
import { names } from "../src/adapters/rabbitmq/Topology.ts"
import * as M from "../src/application/CommerceMessages.ts"

/** AMQP_PREFIX's default (Settings); another prefix renames the exchange. */
const prefix = "crm-sync"
const bindingVersion = "0.3.0"

const messages = {
  EntityUpsert: [M.EntityUpsert, "Create or update the entity that mirrors a CRM record; the platform keeps the newest version."],
  EntityDelete: [M.EntityDelete, "Delete the entity that mirrors a deleted CRM record, unless it already took a newer version."],
  EntityMerge: [M.EntityMerge, "CRM records were merged: the survivor keeps its entity, the merged-away ones are deleted."],
  IdsAssigned: [M.IdsAssigned, "One side tells the other the id it assigned to an entity."],
  CommerceEvent: [M.CommerceEvent, "A change on the platform; the payload is absent when the event carries only the id."]
} as const
type MessageName = keyof typeof messages

// What travels is the bus envelope (src/adapters/rabbitmq/Codec.ts) with the message as payload.
const envelope = (payload: Schema.Top) =>
  Schema.Struct({
    id: Schema.String.annotate({ description: "Unique message id, also the AMQP message-id; consumers deduplicate on it." }),
    type: Schema.String.annotate({ description: "The routing key." }),
    payload,
    occurredAt: Schema.Finite.annotate({ description: "When the message was created, epoch ms." }),
    lane: Schema.Literals(["live", "backfill"]).annotate({
      description:
        "backfill traffic never delays live traffic: each lane has its own queues and live is consumed first. What the platform sends because of one of our messages (the ids it assigned, the event an upsert caused) carries that message's lane; its own changes are live."
    })
  })

const jsonSchema = (schema: Schema.Top) => {
  const document = JsonSchema.toDocumentDraft07(Schema.toJsonSchemaDocument(envelope(schema)))
  // Definitions would need their $refs rewritten to #/components/schemas; none exist yet.
  if (Object.keys(document.definitions).length > 0) throw new Error("asyncapi: schema definitions are not supported yet")
  return document.schema
}

type Action = "send" | "receive"
const channelList = (): Array<{ key: string; message: MessageName; action: Action }> => [
  ...M.CommerceEntityName.literals.flatMap((entity) => [
    { key: M.routingKeys.upsert(entity), message: "EntityUpsert" as const, action: "send" as const },
    { key: M.routingKeys.delete(entity), message: "EntityDelete" as const, action: "send" as const },
    { key: M.routingKeys.merge(entity), message: "EntityMerge" as const, action: "send" as const }
  ]),
  { key: M.routingKeys.crmIds, message: "IdsAssigned", action: "send" },
  { key: M.routingKeys.commerceIds, message: "IdsAssigned", action: "receive" },
  ...M.CommerceEntityName.literals.flatMap((entity) =>
    (["created", "updated", "deleted"] as const).map((what) => ({
      key: M.routingKeys.commerceEvent(entity, what),
      message: "CommerceEvent" as const,
      action: "receive" as const
    }))
  )
]

const channelId = (key: string) =>
  key
    .split(/[._]/)
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join("")

const bindings = {
  channelBindings: {
    eventsExchange: {
      amqp: { is: "routingKey", exchange: { name: names(prefix).events, type: "topic", durable: true, autoDelete: false, vhost: "/" }, bindingVersion }
    }
  },
  operationBindings: {
    send: { amqp: { deliveryMode: 2, mandatory: true, bindingVersion } },
    receive: { amqp: { ack: true, bindingVersion } }
  }
}

export const document = () => {
  const list = channelList()
  const ref = (path: string) => ({ $ref: `#/${path}` })
  return {
    asyncapi: "3.0.0",
    info: {
      title: "crm-sync ↔ commerce platform messages",
      version: pkg.version,
      description: `Both sides publish to the topic exchange ${names(prefix).events} (AMQP_PREFIX=${prefix}); the routing key is the channel address. Bodies are JSON, persistent, published with confirms; delivery is at least once.`
    },
    defaultContentType: "application/json",
    servers: { rabbitmq: { host: "localhost:5672", protocol: "amqp", description: "RabbitMQ 3.10+ (AMQP_URL)" } },
    channels: Object.fromEntries(
      list.map(({ key, message, action }) => [
        channelId(key),
        {
          address: key,
          ...(action === "send"
            ? {
                description: `Published mandatory; kept in the durable queue ${names(prefix).shopQueue(key)} (declared by crm-sync) until the platform consumes it.`
              }
            : {}),
          messages: { [message]: ref(`components/messages/${message}`) },
          bindings: ref("components/channelBindings/eventsExchange")
        }
      ])
    ),
    operations: Object.fromEntries(
      list.map(({ key, message, action }) => [
        `${action}${channelId(key).replace(/^./, (c) => c.toUpperCase())}`,
        {
          action,
          channel: ref(`channels/${channelId(key)}`),
          messages: [ref(`channels/${channelId(key)}/messages/${message}`)],
          bindings: ref(`components/operationBindings/${action}`)
        }
      ])
    ),
    components: {
      ...bindings,
      messages: Object.fromEntries(
        Object.entries(messages).map(([name, [schema, summary]]) => [name, { name, summary, contentType: "application/json", payload: jsonSchema(schema) }])
      )
    }
  }
}

// A small YAML emitter: block mappings and sequences, strings JSON-quoted unless plainly safe.
const plain = /^[A-Za-z/$][\w./$ -]*$/
const reserved = /^(true|false|null|yes|no|on|off|y|n)$/i
const scalar = (value: unknown): string =>
  typeof value === "string" && plain.test(value) && !reserved.test(value) && !value.endsWith(" ") ? value : JSON.stringify(value)
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)
const inline = (value: unknown): string | undefined =>
  Array.isArray(value) ? (value.length === 0 ? "[]" : undefined) : isObject(value) ? (Object.keys(value).length === 0 ? "{}" : undefined) : scalar(value)

const entry = (head: string, value: unknown, indent: string): Array<string> => {
  const simple = inline(value)
  return simple === undefined ? [head, ...block(value, indent)] : [`${head} ${simple}`]
}
// A mapping inside a sequence starts on the dash's line: "- key: value".
const item = (value: unknown, indent: string): Array<string> => {
  const [first, ...rest] = entry(`${indent}-`, value, `${indent}  `)
  return rest.length > 0 && isObject(value) ? [`${indent}- ${rest[0]?.trimStart()}`, ...rest.slice(1)] : [first ?? "", ...rest]
}
const block = (value: unknown, indent: string): Array<string> =>
  Array.isArray(value)
    ? value.flatMap((element) => item(element, indent))
    : Object.entries(value as Record<string, unknown>).flatMap(([key, element]) => entry(`${indent}${scalar(key)}:`, element, `${indent}  `))

export const toYaml = (value: unknown): string => `${block(value, "").join("\n")}\n`

export const render = (): string => `# Generated by scripts/asyncapi.ts from src/application/CommerceMessages.ts: do not edit.\n${toYaml(document())}`

export const outputPath = new URL("../docs/asyncapi.yaml", import.meta.url).pathname

if (import.meta.main) {
  await Bun.write(outputPath, render())
  console.log(`wrote ${outputPath}`)
}
