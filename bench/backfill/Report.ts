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

/** Prints the last "span profile" line's summed span times (nested spans count in each enclosing one). */
export const printSpanProfile = (logs: ReadonlyArray<Record<string, unknown>>, title: string, top: number) => {
  const annotations = logs.filter((l) => l["message"] === "span profile").at(-1)?.["annotations"] as
    | { readonly spans?: Record<string, { count: number; ms: number }> }
    | undefined
  console.log(`\n${title}:`)
  for (const [name, t] of Object.entries(annotations?.spans ?? {})
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top))
    console.log(`  ${String(t.ms).padStart(9)} ms ${String(t.count).padStart(7)} ×  ${name}`)
}
