// Flow B's pure decisions.
import { describe, expect, test } from "bun:test"
import { type Outcome, refusalOf } from "../../src/application/CrmBatchWrites.ts"
import { afterWriteBacks, planWriteBacks } from "../../src/application/DecideIdWriteBacks.ts"

const inputs = [
  { index: 0, ids: { entity: "user" as const, crmId: "1", commerceId: "u-1" } },
  { index: 1, ids: { entity: "user" as const, crmId: "2", commerceId: "u-2" } },
  { index: 2, ids: { entity: "business" as const, crmId: "9", commerceId: "b-9" } }
]

describe("id write-backs for a batch", () => {
  test("one update per type, each id recorded in the ledger before it is written", () => {
    const plan = planWriteBacks(inputs, 0)
    expect([...plan.updates]).toEqual([
      [
        "contact",
        [
          { id: "1", properties: { ecommerce_user_id: "u-1" } },
          { id: "2", properties: { ecommerce_user_id: "u-2" } }
        ]
      ],
      ["company", [{ id: "9", properties: { ecommerce_business_id: "b-9" } }]]
    ])
    expect(plan.ledger.map((e) => e.objectKey)).toEqual(["contact:1", "contact:2", "company:9"])
  })

  test("a record the CRM refuses fails its message alone and gets no link", () => {
    const outcomes = new Map<"contact" | "company", ReadonlyMap<string, Outcome>>([
      [
        "contact",
        new Map<string, Outcome>([
          ["1", { _tag: "Applied", id: "1", created: false }],
          ["2", { _tag: "Rejected", retryable: false, message: "no such record" }]
        ])
      ],
      ["company", new Map<string, Outcome>([["9", { _tag: "Rejected", retryable: true, message: "no outcome for this input" }]])]
    ])
    const after = afterWriteBacks(inputs, outcomes, refusalOf)
    expect(after.links).toEqual([{ entity: "user", crmId: "1", commerceId: "u-1" }])
    expect([...after.refused]).toEqual([
      [1, { retryable: false, message: "the CRM refused contact 2: no such record" }],
      [2, { retryable: true, message: "the CRM refused company 9: no outcome for this input" }]
    ])
  })
})
