import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { CrmBatcher } from "../../src/application/CrmBatcher.ts"
import { Crm, CrmError, CrmRejected, CrmTransient } from "../../src/application/ports/Crm.ts"

const withBatcher = <A, E>(body: (crm: Effect.Success<ReturnType<typeof InMemoryCrm.make>>) => Effect.Effect<A, E, CrmBatcher>) =>
  Effect.runPromise(Effect.flatMap(InMemoryCrm.make(), (crm) => body(crm).pipe(Effect.provide(CrmBatcher.layer.pipe(Layer.provide(Layer.succeed(Crm, crm)))))))

test("writes made concurrently by separate handlers go to HubSpot as one batch per type (≤ 100 a call)", async () => {
  const calls = await withBatcher((crm) =>
    Effect.gen(function* () {
      const batcher = yield* CrmBatcher
      const outcomes = yield* Effect.forEach(Array.from({ length: 250 }, (_, i) => i), (i) => batcher.upsert("contact", { commerceId: `u-${i}`, properties: { firstname: `N${i}` } }), {
        concurrency: "unbounded"
      })
      expect(outcomes.every((o) => o._tag === "Applied")).toBe(true)
      const ids = outcomes.map((o) => (o._tag === "Applied" ? o.id : ""))
      yield* Effect.forEach(ids, (id) => batcher.update("contact", id, { lastname: "Batched" }), { concurrency: "unbounded" })
      const records = yield* crm.read("contact", ids as never)
      expect(records.every((r) => r.properties["lastname"] === "Batched")).toBe(true)
      return { ...crm.calls }
    })
  )
  // 250 inputs need at least 3 calls of ≤ 100; a batch window split under load may add one or two.
  expect(calls.upsert).toBeGreaterThanOrEqual(3)
  expect(calls.upsert).toBeLessThanOrEqual(5)
  expect(calls.update).toBeGreaterThanOrEqual(3)
  expect(calls.update).toBeLessThanOrEqual(5)
})

test("two writes to one record in a batch become one input, and each caller gets its outcome", async () => {
  const result = await withBatcher((crm) =>
    Effect.gen(function* () {
      const batcher = yield* CrmBatcher
      const id = yield* crm.seed("contact", { email: "same@example.com" })
      const outcomes = yield* Effect.all([batcher.update("contact", id, { firstname: "A" }), batcher.update("contact", id, { lastname: "B" }), batcher.update("contact", "999999", { firstname: "nobody" })], {
        concurrency: "unbounded"
      })
      const [record] = yield* crm.read("contact", [id as never])
      return { outcomes: outcomes.map((o) => o._tag), properties: record?.properties, calls: crm.calls.update }
    })
  )
  expect(result.outcomes).toEqual(["Applied", "Applied", "Rejected"])
  expect(result.properties).toMatchObject({ firstname: "A", lastname: "B" })
  expect(result.calls).toBe(1)
})

const batcherOver = (crm: Crm["Service"]) => Effect.provide(CrmBatcher, CrmBatcher.layer.pipe(Layer.provide(Layer.succeed(Crm, crm))))

test("a failed batch call fails every request in it with the port's error", async () => {
  const { alone, together } = await Effect.runPromise(
    Effect.gen(function* () {
      // An account without the commerce id fields: the CRM refuses every upsert call.
      const bare = yield* InMemoryCrm.make({ uniqueProperties: { contact: [], company: [], order: [] } })
      const alone = yield* Effect.flip((yield* batcherOver(bare)).upsert("contact", { commerceId: "x", properties: {} }))
      // A CRM that cannot answer now: every request of the batch gets the same retryable error.
      const down = Crm.of({ ...bare, upsert: () => Effect.fail(new CrmError({ reason: new CrmTransient({ message: "down", status: 503 }) })) })
      const batcher = yield* batcherOver(down)
      const together = yield* Effect.all(
        ["x", "y"].map((commerceId) => Effect.flip(batcher.upsert("contact", { commerceId, properties: {} }))),
        { concurrency: "unbounded" }
      )
      return { alone, together }
    })
  )
  expect([alone.reason._tag, alone.isRetryable]).toEqual(["CrmRejected", false])
  expect(together.map((e) => [e.reason._tag, e.isRetryable])).toEqual([
    ["CrmTransient", true],
    ["CrmTransient", true]
  ])
})

test("an input the CRM answered nothing for is rejected as retryable; its neighbours are applied", async () => {
  const outcomes = await Effect.runPromise(
    Effect.gen(function* () {
      const memory = yield* InMemoryCrm.make()
      // A CRM that drops the last outcome of every batch, as HubSpot sometimes does.
      const forgetful = Crm.of({ ...memory, upsert: (type, inputs) => Effect.map(memory.upsert(type, inputs), (outcomes) => outcomes.slice(0, -1)) })
      const batcher = yield* batcherOver(forgetful)
      return yield* Effect.all(
        ["a", "b", "c"].map((commerceId) => batcher.upsert("contact", { commerceId, properties: {} })),
        { concurrency: "unbounded" }
      )
    })
  )
  expect(outcomes.map((o) => o._tag)).toEqual(["Applied", "Applied", "Rejected"])
  expect(outcomes[2]).toMatchObject({ _tag: "Rejected", retryable: true })
})

test("a batch HubSpot refuses whole for one bad input is resent input by input: only the bad one is refused", async () => {
  const outcomes = await Effect.runPromise(
    Effect.gen(function* () {
      const memory = yield* InMemoryCrm.make()
      // Real HubSpot answers some batch upserts with a 400 for the whole call when one input is invalid.
      const strict = Crm.of({
        ...memory,
        upsert: (type, inputs) =>
          inputs.some((i) => i.properties["email"] === "bad") && inputs.length > 1
            ? Effect.fail(new CrmError({ reason: new CrmRejected({ status: 400, message: "invalid email in batch" }) }))
            : memory.upsert(type, inputs)
      })
      const batcher = yield* Effect.provide(CrmBatcher, CrmBatcher.layer.pipe(Layer.provide(Layer.succeed(Crm, strict))))
      return yield* Effect.all(
        ["ok1", "bad", "ok2"].map((email, i) => batcher.upsert("contact", { commerceId: `b-${i}`, properties: { email: email === "bad" ? "bad" : `${email}@example.com` } })),
        { concurrency: "unbounded" }
      )
    })
  )
  expect(outcomes.map((o) => o._tag)).toEqual(["Applied", "Rejected", "Applied"])
  expect(outcomes[1]).toMatchObject({ retryable: false })
})
