// The runner's decisions per delivery, without a bus: what each handler outcome settles to.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { Lane } from "../../src/application/Lane.ts"
import type { Delivery } from "../../src/application/ports/MessageBus.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { StoreError, StoreUnavailable } from "../../src/application/ports/StoreError.ts"
import type { BatchHandler, Envelope, Step } from "../../src/application/Step.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"
import { settleBatch } from "../../src/application/StepRunner.ts"

const step: Step = { name: "s", bindings: [], retryTiersMs: [100, 1_000], maxAttempts: 3, deliveryLimit: 2, prefetch: 10 }
const envelope = (id: string, attempt = 1): Envelope => ({ id, type: "t", payload: {}, occurredAt: 0, lane: "live", attempt })
const delivery = (id: string, attempt = 1, undecodable = false): Delivery => ({ envelope: envelope(id, attempt), firstFailedAt: undefined, undecodable })
const transient = new StepFailure({ retryable: true, reason: "503" })
const permanent = new StepFailure({ retryable: false, reason: "400" })

const settle = (handler: BatchHandler, batch: ReadonlyArray<Delivery>, parked: Layer.Layer<ParkedItems> = InMemoryParkedItems.layer) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const settlements = yield* settleBatch(step, handler)(batch)
      const items = yield* Effect.flatMap(ParkedItems, (p) => p.list({})).pipe(Effect.orDie)
      return { settlements: settlements.map((s) => s._tag), all: settlements, parked: items.map((i) => [i.id, i.reason]) }
    }).pipe(Effect.provide(parked))
  )

test("one result per message: ack, retry with the next attempt, park (recorded)", async () => {
  const out = await settle(
    (ms) => Effect.succeed(ms.map((m) => (m.id === "a" ? undefined : m.id === "b" ? transient : permanent))),
    [delivery("a"), delivery("b"), delivery("c")]
  )
  expect(out.settlements).toEqual(["Ack", "Retry", "Park"])
  expect(out.all[1]).toMatchObject({ _tag: "Retry", delayMs: 100, attempt: 2 })
  expect(out.parked).toEqual([["s:c", "400"]])
})

test("a failure of the whole batch applies to every message", async () => {
  const out = await settle(() => Effect.fail(transient), [delivery("a"), delivery("b", 3)])
  expect(out.settlements).toEqual(["Retry", "Park"])
  expect(out.parked).toEqual([["s:b", "gave up after 3 attempts: 503"]])
})

test("a batch that dies is re-run message by message: only the crashing one is returned", async () => {
  let runs = 0
  const handler: BatchHandler = (ms) =>
    Effect.sync(() => runs++).pipe(Effect.andThen(ms.some((m) => m.id === "x") ? Effect.die("boom") : Effect.succeed(ms.map(() => undefined))))
  const out = await settle(handler, [delivery("a"), delivery("x"), delivery("b")])
  expect(out.settlements).toEqual(["Ack", "Return", "Ack"])
  expect(runs).toBe(4)
})

test("an undecodable delivery is parked without running the handler", async () => {
  const seen: Array<string> = []
  const handler: BatchHandler = (ms) =>
    Effect.sync(() => {
      for (const m of ms) seen.push(m.id)
      return ms.map(() => undefined)
    })
  const out = await settle(handler, [delivery("bad", 1, true), delivery("ok")])
  expect(out.settlements).toEqual(["Park", "Ack"])
  expect(seen).toEqual(["ok"])
  expect(out.parked).toEqual([["s:bad", "undecodable message body"]])
})

test("when parking cannot be recorded the message comes back after the first tier with the same attempt", async () => {
  const down = Layer.succeed(
    ParkedItems,
    ParkedItems.of({
      park: () => Effect.fail(new StoreError({ reason: new StoreUnavailable({ message: "store down" }) })),
      list: () => Effect.succeed([]),
      markReplayed: () => Effect.void,
      discard: () => Effect.void
    })
  )
  const out = await settle(() => Effect.succeed([permanent]), [delivery("a", 2)], down)
  expect(out.all).toEqual([{ _tag: "Retry", delayMs: 100, attempt: 2, firstFailedAt: expect.any(Number) }])
})

test("a batch of the backfill's messages spends the backfill lane of the budget; any other batch the live lane", async () => {
  const lanes: Array<string> = []
  const handler: BatchHandler = (ms) =>
    Effect.map(Effect.service(Lane), (lane) => {
      lanes.push(lane)
      return ms.map(() => undefined)
    })
  const backfill = (id: string): Delivery => ({ ...delivery(id), envelope: { ...envelope(id), lane: "backfill" } })
  await settle(handler, [backfill("a"), backfill("b")])
  await settle(handler, [backfill("c"), delivery("d")])
  await settle(handler, [delivery("e")])
  expect(lanes).toEqual(["backfill", "live", "live"])
})

test("an exact copy of a delivery acked lately is acked without running the handler; a retry copy, a failed one's copy and another payload under the same id run", async () => {
  const ran: Array<string> = []
  const handler: BatchHandler = (ms) =>
    Effect.sync(() => {
      ran.push(...ms.map((m) => `${m.id}#${m.attempt}#${JSON.stringify(m.payload)}`))
      return ms.map((m) => (m.id === "f" ? transient : undefined))
    })
  const withPayload = (id: string, payload: unknown, attempt = 1): Delivery => ({
    envelope: { ...envelope(id, attempt), payload },
    firstFailedAt: undefined,
    undecodable: false
  })
  const tags = await Effect.runPromise(
    Effect.gen(function* () {
      const settle = settleBatch(step, handler)
      const first = yield* settle([withPayload("a", { v: 1 }), withPayload("f", {})])
      // The intake's redelivery of "a" behind newer messages, the retry copy of "f", a reused id.
      const second = yield* settle([withPayload("a", { v: 1 }), withPayload("f", {}, 2), withPayload("a", { v: 2 }), withPayload("f", {})])
      return [first.map((s) => s._tag), second.map((s) => s._tag)]
    }).pipe(Effect.provide(InMemoryParkedItems.layer))
  )
  expect(tags).toEqual([
    ["Ack", "Retry"],
    ["Ack", "Retry", "Ack", "Retry"]
  ])
  expect(ran).toEqual(['a#1#{"v":1}', "f#1#{}", "f#2#{}", 'a#1#{"v":2}', "f#1#{}"])
})
