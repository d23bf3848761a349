// What bench/backfill.ts and bench/backfill-crm.ts both print: HubSpot calls by kind and where the
// service's time went (its span profile log).
import type { LoggedRequest } from "../../test/support/hubspot/AdminRoutes.ts"

/** A call's kind: list pages by type, else method and path with ids left out. */
const kindOf = (r: LoggedRequest) => {
  const path = r.path.replace(/\/\d+/g, "/{id}")
  if (r.method === "GET" && /^\/crm\/v3\/objects\/[a-z]+$/.test(path)) return `list ${path.split("/")[4]}`
  return `${r.method} ${path}`
}

/** HubSpot calls per kind among `requests`, most first. */
export const callsByKind = (requests: ReadonlyArray<LoggedRequest>): ReadonlyArray<readonly [string, number]> => {
  const counts = new Map<string, number>()
  for (const r of requests) counts.set(kindOf(r), (counts.get(kindOf(r)) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1])
}

interface SpanTotal {
  readonly count: number
  readonly ms: number
  readonly p99?: number
  readonly max?: number
}

const lastProfile = (logs: ReadonlyArray<Record<string, unknown>>): Record<string, SpanTotal> =>
  (logs.filter((l) => l["message"] === "span profile").at(-1)?.["annotations"] as { readonly spans?: Record<string, SpanTotal> } | undefined)?.spans ?? {}

/** Prints the last "span profile" line's summed span times (nested spans count in each enclosing one). */
export const printSpanProfile = (logs: ReadonlyArray<Record<string, unknown>>, title: string, top: number) => {
  console.log(`\n${title}:`)
  for (const [name, t] of Object.entries(lastProfile(logs))
    .filter(([name]) => !name.endsWith("]"))
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top))
    console.log(`  ${String(t.ms).padStart(9)} ms ${String(t.count).padStart(7)} ×  ${name}`)
}

/**
 * Prints the spans of one lane's work (`name [lane]`), slowest p99 first: what a live change
 * waited on while the backfill ran. Nested spans count in their own name and in every enclosing one.
 */
export const printLaneSpans = (logs: ReadonlyArray<Record<string, unknown>>, lane: string, title: string, top: number) => {
  console.log(`\n${title}:`)
  console.log(`  ${"p99 ms".padStart(8)} ${"max ms".padStart(8)} ${"mean ms".padStart(8)} ${"count".padStart(7)}  span`)
  for (const [name, t] of Object.entries(lastProfile(logs))
    .filter(([name]) => name.endsWith(` [${lane}]`))
    .sort((a, b) => (b[1].p99 ?? 0) - (a[1].p99 ?? 0))
    .slice(0, top))
    console.log(
      `  ${String(t.p99 ?? "").padStart(8)} ${String(t.max ?? "").padStart(8)} ${(t.ms / t.count).toFixed(0).padStart(8)} ${String(t.count).padStart(7)}  ${name.slice(0, -(lane.length + 3))}`
    )
}
