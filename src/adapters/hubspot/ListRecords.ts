// Paging for the backfill by id. Two sources of the same records, in id order, each on its own
// HubSpot limit:
// - search (POST …/search, hs_object_id ≥ cursor, sorted by it): 200 records a call on search's own
//   per-second cap, no burst token; taken whenever a search slot starts (LocalBudget.takeSearch);
// - the list API (GET /crm/v3/objects/{type}?limit=100&after=…): 100 a call on the burst budget,
//   for the steps in between.
// Either returns the records themselves: a page costs its pages of records and one associations
// call per linked type for the whole page (≤ 1 000 ids), with no batch read of the same records
// after. Search reads carry records off the burst budget, which then pays for the writes
// (bench:backfill: a CRM → commerce leg was bound by 1 read and 1 write-back call per 100 records).
import { FilterOperatorEnum } from "@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js"
import { Effect, Option } from "effect"
import type { ListRange, RecordPage } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call, SearchNow } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"
import { listPage, searchPage } from "./PlainAnswers.ts"
import type { HubSpotObject } from "./ToCrmRecord.ts"

export const LIST_LIMIT = 100
export const SEARCH_LIMIT = 200

// The SDK types `sorts` as strings; HubSpot's API takes {propertyName, direction} objects.
const byId = [{ propertyName: "hs_object_id", direction: "ASCENDING" }]

/** Search's query for up to `limit` records from id `after` (inclusive, as the list API's cursor) to `toId`. */
export const searchFrom = (after: string | undefined, toId: string | undefined, properties: ReadonlyArray<string>, limit: number) => {
  const filters = [
    ...(after === undefined ? [] : [{ propertyName: "hs_object_id", operator: FilterOperatorEnum.Gte, value: after }]),
    ...(toId === undefined ? [] : [{ propertyName: "hs_object_id", operator: FilterOperatorEnum.Lte, value: toId }])
  ]
  return { filterGroups: filters.length === 0 ? [] : [{ filters }], sorts: byId, properties: [...properties], limit, after: "0" }
}

export const makeList = <W>(
  call: Call,
  searchNow: SearchNow,
  propertiesOf: (type: CrmObjectType) => ReadonlyArray<string>,
  withLinks: <T extends CrmObjectType>(type: T, objects: ReadonlyArray<HubSpotObject>) => Effect.Effect<RecordPage<T>["records"], W>
) =>
  Effect.fn("HubSpotCrm.list")(function* <T extends CrmObjectType>(type: T, range: ListRange) {
    const objects: Array<HubSpotObject> = []
    const pastEnd = (id: string) => range.toId !== undefined && Number(id) > Number(range.toId)
    const reached = (id: string | undefined) => range.toId !== undefined && id !== undefined && Number(id) >= Number(range.toId)
    let after = range.after
    let ended = false
    do {
      const wanted = range.limit - objects.length
      const size = Math.max(1, Math.min(SEARCH_LIMIT, wanted))
      const searched = yield* searchNow("objects.searchById", (c) => searchPage(c, hubspotType[type], searchFrom(after, range.toId, propertiesOf(type), size)))
      if (Option.isSome(searched)) {
        const found = searched.value.results
        objects.push(...found)
        const last = found.at(-1)
        if (last !== undefined) after = String(Number(last.id) + 1)
        ended = reached(last?.id)
        const more = searched.value.paging?.next?.after !== undefined
        if ((found.length === size && more) || ended) continue
        // Search says the ids end here, but it shows a new record only after a delay: the list API
        // has the last word, in the call below or, with the page full, in a look at one record.
        if (objects.length >= range.limit) {
          const look = yield* call("objects.list", "api", (c) => listPage(c, hubspotType[type], 1, after, ["hs_object_id"]))
          ended = look.results.filter((o) => !pastEnd(o.id)).length === 0
          break
        }
      }
      const listed = Math.max(1, Math.min(LIST_LIMIT, range.limit - objects.length))
      const data = yield* call("objects.list", "api", (c) => listPage(c, hubspotType[type], listed, after, propertiesOf(type)))
      objects.push(...data.results.filter((o) => !pastEnd(o.id)))
      after = data.paging?.next?.after
      ended = reached(data.results.at(-1)?.id)
    } while (after !== undefined && !ended && objects.length < range.limit)
    const page: RecordPage<T> = { records: yield* withLinks(type, objects), next: ended ? undefined : after }
    return page
  })
