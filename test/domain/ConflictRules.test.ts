import { expect, test } from "bun:test"
import { fieldWinner, freshness } from "../../src/domain/ConflictRules.ts"
import { fieldRows } from "../../src/domain/CorrespondenceTable.ts"

const row = (crmProperty: string) => {
  const found = fieldRows.find((r) => r.entity === "user" && r.crmProperty === crmProperty)
  if (found === undefined) throw new Error(crmProperty)
  return found
}

test.each([
  [200, 100, "newer"],
  [100, 100, "same"],
  [50, 100, "older"],
  [50, undefined, "newer"]
] as const)("freshness(%p, %p) = %s", (incoming, stored, expected) => expect(freshness(incoming, stored)).toBe(expected))

test.each([
  // [property, crm changed, commerce changed, winner]
  ["firstname", true, false, "crm"],
  ["firstname", false, true, "commerce"],
  ["firstname", true, true, "crm"], // both changed: the owner (CRM) wins, not the later clock
  ["email", true, true, "commerce"], // both changed: the owner (commerce) wins
  ["firstname", false, false, "none"],
  ["ecommerce_user_id", true, false, "none"], // to-crm only: a CRM edit never flows back
  ["hs_object_id", false, true, "none"] // to-commerce only
] as const)("%s crm changed %p, commerce changed %p → %s", (property, crm, commerce, winner) => expect(fieldWinner(row(property), crm, commerce)).toBe(winner))

test("every row of the table has an owner and a transform, and no CRM property appears twice per entity", () => {
  const seen = new Set<string>()
  for (const r of fieldRows) {
    expect(["crm", "commerce"]).toContain(r.owner)
    expect(typeof r.transform.toCrm).toBe("function")
    const key = `${r.entity}:${r.crmProperty}`
    expect(seen.has(key)).toBe(false)
    seen.add(key)
  }
})
