// docs/asyncapi.yaml is generated from the message schemas; this keeps it from drifting.
import { expect, test } from "bun:test"
import { document, outputPath, render, toYaml } from "../../scripts/asyncapi.ts"
import { shopBoundKinds } from "../../src/application/CommerceMessages.ts"

test("docs/asyncapi.yaml is up to date (regenerate with `bun run asyncapi`)", async () => {
  expect(await Bun.file(outputPath).text()).toBe(render())
})

test("the YAML says exactly what the generated document says", () => {
  expect(Bun.YAML.parse(render())).toEqual(JSON.parse(JSON.stringify(document())))
  const awkward = { odd: ["true", "1.0", "a: b", "#x", " pad", "", [], 0, null], "x y": {}, nested: [{ a: 1, b: { c: [{ d: "e" }, ["f"]] } }] }
  expect(Bun.YAML.parse(toYaml(awkward))).toEqual(awkward)
})

test("every routing key of the contract is a channel on the events exchange", () => {
  const doc = document()
  const addresses = Object.values(doc.channels).map((channel) => channel.address)
  expect(addresses).toHaveLength(20)
  expect(addresses).toContain("tocommerce.purchase.merge")
  expect(addresses).toContain("commerce.ids.assigned")
  expect(addresses).toContain("commerce.business_deleted")
  expect(doc.components.channelBindings.eventsExchange.amqp.exchange.name).toBe("crm-sync.events")
})

test("every message the contract sends the platform has a queue the bus declares (issue 9 #14)", () => {
  const doc = document()
  const channels = doc.channels as Record<string, { readonly address: string }>
  const sent = Object.values(doc.operations)
    .filter((op) => op.action === "send")
    .map((op) => channels[op.channel.$ref.replace("#/channels/", "")]?.address)
  expect([...sent].sort()).toEqual([...shopBoundKinds].sort())
  expect(doc.components.operationBindings.send.amqp.mandatory).toBe(true)
})
