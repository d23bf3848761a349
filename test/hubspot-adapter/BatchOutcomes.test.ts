// A batch answer back in input order, with HubSpot's per-item errors mapped to neutral outcomes.
import { expect, test } from "bun:test"
import { outcomesInOrder } from "../../src/adapters/hubspot/BatchOutcomes.ts"

const missing = { retryable: true, message: "no answer for this input" }

test("results and per-item errors land on their inputs; an input HubSpot said nothing about gets `missing`", () => {
  const outcomes = outcomesInOrder<string>(
    ["u-1", "u-2", "u-3"],
    [{ key: "u-3", id: "103", created: true }],
    [{ category: "VALIDATION_ERROR", message: "bad email", context: { ids: ["u-1"] } }],
    missing
  )
  expect(outcomes).toEqual([
    { _tag: "Rejected", retryable: false, message: "VALIDATION_ERROR: bad email" },
    { _tag: "Rejected", retryable: true, message: "no answer for this input" },
    { _tag: "Applied", id: "103", created: true }
  ])
})

test("an error that names no input belongs to the inputs left without a result, and is never retryable", () => {
  const outcomes = outcomesInOrder<string>(["a", "b"], [{ key: "a", id: "1", created: false }], [{ category: "CONFLICT", message: "taken" }], missing)
  expect(outcomes[1]).toEqual({ _tag: "Rejected", retryable: false, message: "CONFLICT: taken" })
})
