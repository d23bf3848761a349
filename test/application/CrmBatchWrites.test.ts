import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { updateRecords, upsertRecords } from "../../src/application/CrmBatchWrites.ts"
import { Crm, CrmError, CrmRejected, CrmTransient } from "../../src/application/ports/Crm.ts"

const over = (crm: Crm["Service"]) => Effect.provide(Layer.succeed(Crm, crm))

/** Upserts the inputs through a CRM that refuses, as a whole, every call that contains `bad`; counts the calls. */
const upsertPast = (bad: string, inputs: Parameters<typeof upsertRecords>[1]) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const memory = yield* InMemoryCrm.make()
      let calls = 0
      const picky = Crm.of({
        ...memory,
        upsert: (type, list) => {
          calls++
          return list.some((i) => i.commerceId === bad)
            ? Effect.fail(new CrmError({ reason: new CrmRejected({ message: "invalid e-mail", status: 400 }) }))
            : memory.upsert(type, list)
        }
      })
      return { outcomes: yield* upsertRecords("contact", inputs).pipe(over(picky)), calls }
    })
  )

test("a batch refused as a whole for one bad input is split until it stands alone: only the bad one is refused", async () => {
  const { outcomes, calls } = await upsertPast("bad", [
    { commerceId: "good", properties: { firstname: "G" } },
    { commerceId: "bad", properties: { firstname: "B" } },
    { commerceId: "good", properties: { lastname: "Later" } }
  ])
  expect(outcomes.get("good")?._tag).toBe("Applied")
  expect(outcomes.get("bad")).toEqual({ _tag: "Rejected", retryable: false, message: "CrmRejected: invalid e-mail" })
  // One batch, then its two halves: each (merged) input alone.
  expect(calls).toBe(3)
})

test("a CRM that cannot answer now fails the whole call, to be retried", async () => {
  const error = await Effect.runPromise(
    Effect.gen(function* () {
      const memory = yield* InMemoryCrm.make()
      const down = Crm.of({ ...memory, update: () => Effect.fail(new CrmError({ reason: new CrmTransient({ message: "down", status: 503 }) })) })
      return yield* Effect.flip(
        updateRecords("contact", [
          { id: "1", properties: {} },
          { id: "2", properties: {} }
        ]).pipe(over(down))
      )
    })
  )
  expect(error.isRetryable).toBe(true)
})

test("one bad input among 64 costs a few calls, not 64: the batch is split in halves", async () => {
  const { outcomes, calls } = await upsertPast(
    "c17",
    Array.from({ length: 64 }, (_, i) => ({ commerceId: `c${i}`, properties: { firstname: `F${i}` } }))
  )
  expect([...outcomes.values()].filter((o) => o._tag === "Applied")).toHaveLength(63)
  expect(outcomes.get("c17")?._tag).toBe("Rejected")
  // 1 + 2 per level of the split (log2 64 = 6 levels).
  expect(calls).toBeLessThanOrEqual(13)
})
