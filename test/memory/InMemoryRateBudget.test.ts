import { expect, test } from "bun:test"
import { Layer } from "effect"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import * as BudgetPolicy from "../../src/application/BudgetPolicy.ts"
import { RateBudget } from "../../src/application/ports/RateBudget.ts"
import { rateBudgetContract } from "../contract/RateBudget.contract.ts"

rateBudgetContract("memory", (config) => {
  const store = InMemoryRateBudget.shared(config)
  return { replica: () => Layer.sync(RateBudget, store.replica) }
})

test("BudgetPolicy picks the slot count that grants the most per interval", () => {
  const at = (burst: number) => BudgetPolicy.plan({ burst, intervalMs: 10_000, daily: 1, backfillShare: 0.3, timeZone: "UTC" })
  expect(at(100)).toEqual({ slots: 9, slotMs: 1112, capacity: 10, backfillCapacity: 3 })
  // Past 10 slots only while a slot keeps 10 tokens and half a second: 18 × 10 = 180 of 190 in a rolling interval (9 × 19 = 171).
  expect(at(190)).toEqual({ slots: 18, slotMs: 556, capacity: 10, backfillCapacity: 3 })
  expect(at(250)).toEqual({ slots: 18, slotMs: 556, capacity: 13, backfillCapacity: 3 })
  expect(at(2)).toEqual({ slots: 1, slotMs: 10_000, capacity: 1, backfillCapacity: 0 })
  expect(() => at(1)).toThrow()
})

test("BudgetPolicy resets the day at local midnight, across DST", () => {
  expect(BudgetPolicy.localDay("Europe/Paris", Date.UTC(2024, 2, 30, 23, 30))).toEqual({ key: "2024-03-31", resetAt: Date.UTC(2024, 2, 31, 22) })
  expect(BudgetPolicy.localDay("America/New_York", Date.UTC(2024, 0, 1, 3))).toEqual({ key: "2023-12-31", resetAt: Date.UTC(2024, 0, 1, 5) })
})
