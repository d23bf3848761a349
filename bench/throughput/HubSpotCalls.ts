// What the service asked of the HubSpot simulator, from its request log: calls, records moved per
// call (a batch body's `inputs`, else one), 429s, and which contacts it read.
import type { LoggedRequest } from "../../test/support/hubspot/AdminRoutes.ts"

export interface CallStats {
  readonly calls: number
  readonly records: number
  readonly throttled: number
  /** Calls by endpoint shape (ids replaced by `{id}`), busiest first. */
  readonly byEndpoint: ReadonlyArray<readonly [string, number]>
}

const inputsOf = (body: unknown): ReadonlyArray<unknown> | undefined => {
  const inputs = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["inputs"] : undefined
  return Array.isArray(inputs) ? inputs : undefined
}

const recordsOf = (request: LoggedRequest): number => inputsOf(request.body)?.length ?? 1

const endpointOf = (request: LoggedRequest): string => `${request.method} ${request.path.replace(/\/\d+(?=\/|$)/g, "/{id}")}`

export const callStats = (log: ReadonlyArray<LoggedRequest>): CallStats => {
  const answered = log.filter((r) => r.status !== 429)
  const byEndpoint = new Map<string, number>()
  for (const r of answered) byEndpoint.set(endpointOf(r), (byEndpoint.get(endpointOf(r)) ?? 0) + 1)
  return {
    calls: answered.length,
    records: answered.reduce((sum, r) => sum + recordsOf(r), 0),
    throttled: log.length - answered.length,
    byEndpoint: [...byEndpoint].sort((a, b) => b[1] - a[1])
  }
}

const ok = (r: LoggedRequest) => typeof r.status === "number" && r.status >= 200 && r.status < 300

/** Contact ids the service read successfully, one at a time or in batches. */
export const contactsRead = (log: ReadonlyArray<LoggedRequest>): Set<string> => {
  const ids = new Set<string>()
  for (const r of log) {
    if (!ok(r)) continue
    const single = /^\/crm\/v3\/objects\/contacts\/(\d+)$/.exec(r.path)
    if (r.method === "GET" && single?.[1] !== undefined) ids.add(single[1])
    if (r.method === "POST" && r.path === "/crm/v3/objects/contacts/batch/read") {
      for (const input of inputsOf(r.body) ?? []) ids.add(String((input as Record<string, unknown>)["id"]))
    }
  }
  return ids
}
