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

export const sortComparator = (name: string, direction: string, defs: Map<string, PropertyDefinition>) => {
  const cmp = comparator(isNumeric(defs.get(name), name))
  const sign = direction === "DESCENDING" ? -1 : 1
  return (a: CrmObject, b: CrmObject): number => {
    const x = a.properties[name]
    const y = b.properties[name]
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1
    return sign * cmp(x, y)
  }
}
