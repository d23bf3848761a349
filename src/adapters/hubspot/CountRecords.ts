// A backfill's total: one search call with limit 1 reads HubSpot's `total` for the job's filter
// (an id range on hs_object_id, a window on hs_lastmodifieddate; no filter: every live record).
import { FilterOperatorEnum } from "@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js"
import { Effect } from "effect"
import type { CountFilter } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"

const filtersOf = (f: CountFilter) => [
  ...(f.fromId === undefined ? [] : [{ propertyName: "hs_object_id", operator: FilterOperatorEnum.Gte, value: f.fromId }]),
  ...(f.toId === undefined ? [] : [{ propertyName: "hs_object_id", operator: FilterOperatorEnum.Lte, value: f.toId }]),
  ...(f.from === undefined ? [] : [{ propertyName: "hs_lastmodifieddate", operator: FilterOperatorEnum.Gte, value: String(f.from) }]),
  ...(f.to === undefined ? [] : [{ propertyName: "hs_lastmodifieddate", operator: FilterOperatorEnum.Lt, value: String(f.to) }])
]

export const makeCount = (call: Call) =>
  Effect.fn("HubSpotCrm.count")(function* (type: CrmObjectType, filter: CountFilter) {
    const filters = filtersOf(filter)
    const data = yield* call("objects.count", "search", (c) =>
      c.crm.objects.searchApi.doSearchWithHttpInfo(hubspotType[type], {
        filterGroups: filters.length === 0 ? [] : [{ filters }],
        properties: ["hs_object_id"],
        limit: 1,
        after: "0"
      })
    )
    return typeof data.total === "number" ? data.total : undefined
  })
