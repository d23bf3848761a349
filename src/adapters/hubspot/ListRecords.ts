// Paging for the backfill by id: GET /crm/v3/objects/{type}?limit=100&after=…&properties=… returns
// the records themselves, so a page costs one list call per 100 records and one associations call
// per linked type for the whole page (≤ 1 000 ids), with no batch read of the same records after.
import { Effect } from "effect"
import type { ListRange, RecordPage } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"
import { listPage } from "./PlainAnswers.ts"
import type { HubSpotObject } from "./ToCrmRecord.ts"

export const LIST_LIMIT = 100

export const makeList = <W>(
  call: Call,
  propertiesOf: (type: CrmObjectType) => ReadonlyArray<string>,
  withLinks: <T extends CrmObjectType>(type: T, objects: ReadonlyArray<HubSpotObject>) => Effect.Effect<RecordPage<T>["records"], W>
) =>
  Effect.fn("HubSpotCrm.list")(function* <T extends CrmObjectType>(type: T, range: ListRange) {
    const objects: Array<HubSpotObject> = []
    const pastEnd = (id: string) => range.toId !== undefined && Number(id) > Number(range.toId)
    let after = range.after
    let ended = false
    do {
      const size = Math.max(1, Math.min(LIST_LIMIT, range.limit - objects.length))
      const data = yield* call("objects.list", "api", (c) => listPage(c, hubspotType[type], size, after, propertiesOf(type)))
      objects.push(...data.results.filter((o) => !pastEnd(o.id)))
      after = data.paging?.next?.after
      const last = data.results.at(-1)
      ended = range.toId !== undefined && last !== undefined && Number(last.id) >= Number(range.toId)
    } while (after !== undefined && !ended && objects.length < range.limit)
    const page: RecordPage<T> = { records: yield* withLinks(type, objects), next: ended ? undefined : after }
    return page
  })
