// Id paging for the backfill: GET /crm/v3/objects/{type}?limit=…&after=… with no properties, so a
// page of 100 ids costs one call and the reads that follow fetch the records in batches.
import { Effect } from "effect"
import type { CrmIdOf, IdListPage } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"

export const LIST_LIMIT = 100

export const makeListIds = (call: Call) =>
  Effect.fn("HubSpotCrm.listIds")(function* <T extends CrmObjectType>(type: T, after: string | undefined, limit: number) {
    const size = Math.max(1, Math.min(LIST_LIMIT, limit))
    const data = yield* call("objects.list", "api", (c) => c.crm.objects.basicApi.getPageWithHttpInfo(hubspotType[type], size, after, ["hs_object_id"]))
    const page: IdListPage<T> = { ids: data.results.map((o) => o.id as CrmIdOf[T]), next: data.paging?.next?.after }
    return page
  })
