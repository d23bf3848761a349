// Which id cursor a logged request read a backfill page from: a list call (`after`) or a search by
// id (hs_object_id ≥ cursor, sorted by id), both of `limit` records; undefined for any other request.
import type { LoggedRequest } from "./AdminRoutes.ts"

interface SearchBody {
  readonly limit?: number
  readonly sorts?: ReadonlyArray<{ readonly propertyName?: string }>
  readonly filterGroups?: ReadonlyArray<{
    readonly filters?: ReadonlyArray<{ readonly propertyName: string; readonly operator: string; readonly value?: unknown }>
  }>
}

export const pageCursorOf = (r: LoggedRequest, objectType: string, limit: number): string | undefined => {
  if (r.method === "GET" && r.path === `/crm/v3/objects/${objectType}` && r.query.includes(`limit=${limit}&`))
    return new URLSearchParams(r.query).get("after") ?? "start"
  const body = r.body as SearchBody | undefined
  if (r.method !== "POST" || r.path !== `/crm/v3/objects/${objectType}/search` || body?.limit !== limit) return undefined
  if (body.sorts?.[0]?.propertyName !== "hs_object_id") return undefined
  const from = body.filterGroups?.[0]?.filters?.find((f) => f.propertyName === "hs_object_id" && f.operator === "GTE")
  return from === undefined ? "start" : String(from.value)
}
