// Paging for the backfill by id. Two sources of the same records, in id order, each on its own
// HubSpot limit; each step of a page takes whichever is granted first, search with a head start
// of one read's time (HubSpotClient.searchOrCall):
// - search (POST …/search, hs_object_id ≥ cursor, sorted by it): 200 records a call on search's own
//   per-second cap, no burst token (LocalBudget.takeSearch);
// - the list API (GET /crm/v3/objects/{type}?limit=100&after=…): 100 a call on a burst token.
// Either returns the records themselves: a page costs its pages of records and one associations
// call per linked type for the whole page (≤ 1 000 ids), with no batch read of the same records
// after. Search reads carry records off the burst budget, which then pays for the writes
// (bench:backfill: a CRM → commerce leg was bound by 1 read and 1 write-back call per 100 records).

import type { Client } from "@hubspot/api-client"
import { FilterOperatorEnum } from "@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js"
import { Effect } from "effect"
import { SEARCH_PAGE } from "../../application/BackfillCommands.ts"
import { LIST_LIMIT } from "../../application/BackfillPages.ts"
import type { ListRange, RecordPage } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call, SearchOrCall, SearchOrCallAnswer } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"
import { listPage, searchPage } from "./PlainAnswers.ts"
import type { HubSpotObject } from "./ToCrmRecord.ts"

const byId = [{ propertyName: "hs_object_id", direction: "ASCENDING" }]

/** Search's query for up to `limit` records from id `after` (inclusive, as the list API's cursor) to `toId`. */
const searchFrom = (after: string | undefined, toId: string | undefined, properties: ReadonlyArray<string>, limit: number) => {
  const filters = [
    ...(after === undefined ? [] : [{ propertyName: "hs_object_id", operator: FilterOperatorEnum.Gte, value: after }]),
    ...(toId === undefined ? [] : [{ propertyName: "hs_object_id", operator: FilterOperatorEnum.Lte, value: toId }])
  ]
  return { filterGroups: filters.length === 0 ? [] : [{ filters }], sorts: byId, properties: [...properties], limit, after: "0" }
}

type Step = SearchOrCallAnswer<Awaited<ReturnType<typeof searchPage>>["data"], Awaited<ReturnType<typeof listPage>>["data"]>

export const makeList = <W>(
  call: Call,
  searchOrCall: SearchOrCall,
  propertiesOf: (type: CrmObjectType) => ReadonlyArray<string>,
  withLinks: <T extends CrmObjectType>(type: T, objects: ReadonlyArray<HubSpotObject>) => Effect.Effect<RecordPage<T>["records"], W>
) =>
  Effect.fn("HubSpotCrm.list")(function* <T extends CrmObjectType>(type: T, range: ListRange) {
    const objects: Array<HubSpotObject> = []
    const pastEnd = (id: string) => range.toId !== undefined && Number(id) > Number(range.toId)
    const reached = (id: string | undefined) => range.toId !== undefined && id !== undefined && Number(id) >= Number(range.toId)
    const listFrom = (from: string | undefined, limit: number) => (c: Client) => listPage(c, hubspotType[type], limit, from, propertiesOf(type))
    let after = range.after
    let ended = false
    // Search says the ids end here, but it shows a new record only after a delay: the list API has the last word.
    let confirm = false
    do {
      const wanted = range.limit - objects.length
      const listed = Math.max(1, Math.min(LIST_LIMIT, wanted))
      const size = Math.max(1, Math.min(SEARCH_PAGE, wanted))
      const step: Step = confirm
        ? { _tag: "api", data: yield* call("objects.list", "api", listFrom(after, listed)) }
        : yield* searchOrCall(
            "objects.list",
            (c) => searchPage(c, hubspotType[type], searchFrom(after, range.toId, propertiesOf(type), size)),
            listFrom(after, listed)
          )
      if (step._tag === "api") {
        objects.push(...step.data.results.filter((o) => !pastEnd(o.id)))
        after = step.data.paging?.next?.after
        ended = reached(step.data.results.at(-1)?.id)
        confirm = false
        continue
      }
      const found: ReadonlyArray<HubSpotObject> = step.data.results
      objects.push(...found)
      const last = found.at(-1)
      if (last !== undefined) after = String(Number(last.id) + 1)
      ended = reached(last?.id)
      confirm = !ended && (found.length < size || step.data.paging?.next?.after === undefined)
      // With the page full, a look at one record settles whether the ids go on.
      if (confirm && objects.length >= range.limit) {
        const look = yield* call("objects.list", "api", listFrom(after, 1))
        ended = look.results.filter((o) => !pastEnd(o.id)).length === 0
      }
    } while (after !== undefined && !ended && objects.length < range.limit)
    const page: RecordPage<T> = { records: yield* withLinks(type, objects), next: ended ? undefined : after }
    return page
  })
