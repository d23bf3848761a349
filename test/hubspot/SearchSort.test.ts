// Search results are ordered as HubSpot's sorts say (the first sort decides, later ones break
// ties, objects without the property last in either direction, numbers and dates by value, text
// case-insensitively): reading each object's keys once orders them as comparing raw values did.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { defaultProperties } from "../support/hubspot/DefaultProperties.ts"
import { sortObjects } from "../support/hubspot/SearchFilter.ts"
import type { CrmObject } from "../support/hubspot/SimStore.ts"

const defs = defaultProperties("contacts", "2026-01-01T00:00:00.000Z")

// The comparison the simulator made per pair before: both raw values converted on every call.
const toNumber = (v: string): number => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v))
const numeric = (name: string) => name === "hs_object_id" || ["number", "datetime", "date"].includes(defs.get(name)?.type ?? "")
const pairwise = (name: string, direction: string) => (a: CrmObject, b: CrmObject) => {
  const [x, y] = [a.properties[name], b.properties[name]]
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1
  const sign = direction === "DESCENDING" ? -1 : 1
  return sign * (numeric(name) ? toNumber(x) - toNumber(y) : x.toLowerCase().localeCompare(y.toLowerCase()))
}

const value = (name: string) =>
  name === "firstname"
    ? fc.option(fc.constantFrom("ann", "Ann", "bob", "Émile", "zed"), { nil: undefined })
    : fc.option(fc.constantFrom("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", "1767225600000", "5", "12"), { nil: undefined })
const object = (id: number) =>
  fc.record({ firstname: value("firstname"), hs_lastmodifieddate: value("hs_lastmodifieddate"), createdate: value("createdate") }).map(
    (p): CrmObject => ({
      id: String(id),
      objectType: "contacts",
      properties: Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Record<string, string>,
      createdAt: "",
      updatedAt: "",
      archived: false
    })
  )
const sort = fc.record({
  propertyName: fc.constantFrom("firstname", "hs_lastmodifieddate", "createdate"),
  direction: fc.constantFrom("ASCENDING", "DESCENDING")
})

describe("search sorts", () => {
  test("order as pairwise comparisons of the raw values did", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => object(i)))),
        fc.array(sort, { maxLength: 3 }),
        (objects, sorts) => {
          const expected = [...objects]
          for (const s of [...sorts].reverse()) expected.sort(pairwise(s.propertyName, s.direction))
          expect(sortObjects(objects, sorts, defs).map((o) => o.id)).toEqual(expected.map((o) => o.id))
        }
      ),
      { numRuns: 300 }
    )
  })
})
