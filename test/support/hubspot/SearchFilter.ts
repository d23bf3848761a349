// Evaluates HubSpot search filters (filterGroups are OR-ed, filters inside a group AND-ed).
import type { PropertyDefinition } from "./DefaultProperties.ts"
import type { CrmObject } from "./SimStore.ts"

export interface Filter {
  propertyName: string
  operator: string
  value?: unknown
  highValue?: unknown
  values?: unknown[]
}

export const operators = new Set([
  "EQ",
  "NEQ",
  "LT",
  "LTE",
  "GT",
  "GTE",
  "BETWEEN",
  "IN",
  "NOT_IN",
  "HAS_PROPERTY",
  "NOT_HAS_PROPERTY",
  "CONTAINS_TOKEN",
  "NOT_CONTAINS_TOKEN"
])

const isNumeric = (def: PropertyDefinition | undefined, name: string): boolean =>
  name === "hs_object_id" || def?.type === "number" || def?.type === "datetime" || def?.type === "date"

const toNumber = (v: unknown): number => {
  const s = String(v)
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s)
  return Date.parse(s)
}

type Cmp = (a: unknown, b: unknown) => number

const comparator = (numeric: boolean): Cmp =>
  numeric ? (a, b) => toNumber(a) - toNumber(b) : (a, b) => String(a).toLowerCase().localeCompare(String(b).toLowerCase())

const tokenMatch = (actual: string, pattern: unknown): boolean => {
  const p = String(pattern).toLowerCase().replaceAll("*", "")
  return actual.toLowerCase().includes(p)
}

const evaluate = (f: Filter, actual: string | undefined, cmp: Cmp): boolean => {
  if (f.operator === "HAS_PROPERTY") return actual !== undefined
  if (f.operator === "NOT_HAS_PROPERTY") return actual === undefined
  if (f.operator === "NEQ") return actual === undefined || cmp(actual, f.value) !== 0
  if (f.operator === "NOT_IN") return actual === undefined || !(f.values ?? []).some((v) => cmp(actual, v) === 0)
  if (f.operator === "NOT_CONTAINS_TOKEN") return actual === undefined || !tokenMatch(actual, f.value)
  if (actual === undefined) return false
  switch (f.operator) {
    case "EQ":
      return cmp(actual, f.value) === 0
    case "LT":
      return cmp(actual, f.value) < 0
    case "LTE":
      return cmp(actual, f.value) <= 0
    case "GT":
      return cmp(actual, f.value) > 0
    case "GTE":
      return cmp(actual, f.value) >= 0
    case "BETWEEN":
      return cmp(actual, f.value) >= 0 && cmp(actual, f.highValue) <= 0
    case "IN":
      return (f.values ?? []).some((v) => cmp(actual, v) === 0)
    case "CONTAINS_TOKEN":
      return tokenMatch(actual, f.value)
    default:
      return false
  }
}

export const matchesFilter = (obj: CrmObject, f: Filter, defs: Map<string, PropertyDefinition>): boolean =>
  evaluate(f, obj.properties[f.propertyName], comparator(isNumeric(defs.get(f.propertyName), f.propertyName)))

type SortKey = number | string | undefined

/**
 * Sorts `objects` by HubSpot's `sorts` (the first sort decides, later ones break ties; objects
 * without the property last in either direction). Each object's keys are read once, not once per
 * comparison: a search over 300 000 contacts sorted on a date parsed 5 million dates.
 */
export const sortObjects = (
  objects: ReadonlyArray<CrmObject>,
  sorts: ReadonlyArray<{ propertyName: string; direction: string }>,
  defs: Map<string, PropertyDefinition>
): CrmObject[] => {
  if (sorts.length === 0) return [...objects]
  const keyed = objects.map((o) => ({
    o,
    keys: sorts.map((s): SortKey => {
      const v = o.properties[s.propertyName]
      if (v === undefined) return undefined
      return isNumeric(defs.get(s.propertyName), s.propertyName) ? toNumber(v) : v.toLowerCase()
    })
  }))
  // One stable sort per key, the last first: ties keep the order the earlier sorts gave them.
  for (let i = sorts.length - 1; i >= 0; i--) {
    const sort = sorts[i]
    if (sort === undefined) continue
    const sign = sort.direction === "DESCENDING" ? -1 : 1
    keyed.sort((a, b) => {
      const x = a.keys[i]
      const y = b.keys[i]
      if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1
      return sign * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)))
    })
  }
  return keyed.map((k) => k.o)
}
