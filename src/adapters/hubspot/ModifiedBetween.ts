// The reconcile scan: /crm/v3/objects/{type}/search on hs_lastmodifieddate in [from, to), oldest
// first. HubSpot stops paging at 10 000 results per query, so before `after` would cross it the
// cursor starts a new query at the last timestamp seen, skipping the ids already returned at
// that instant (the same narrowing HubSpot suggests with hs_object_id, keyed on time instead).
import { FilterOperatorEnum } from "@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js"
import { Effect, Option, Schema } from "effect"
import { CrmError, CrmRejected, type ModifiedPage } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"
import { type HubSpotObject, updatedAtOf } from "./ToCrmRecord.ts"

export const SEARCH_RESULT_CAP = 10_000

const Cursor = Schema.Struct({ from: Schema.Finite, after: Schema.Int, skip: Schema.Array(Schema.String) })
export type Cursor = typeof Cursor.Type
const decodeCursor = Schema.decodeUnknownOption(Schema.fromJsonString(Cursor))

/** The cursor after a page; exported for its test (the 10 000 cap is slow to reach in one). */
export const nextCursor = (state: Cursor, results: ReadonlyArray<HubSpotObject>, after: string | undefined, pageSize: number): Cursor | undefined => {
  if (after === undefined) return undefined
  if (Number(after) + pageSize <= SEARCH_RESULT_CAP) return { ...state, after: Number(after) }
  const last = results.at(-1)
  if (last === undefined) return undefined
  const from = updatedAtOf(last)
  const sameInstant = results.filter((o) => updatedAtOf(o) === from).map((o) => o.id)
  return { from, after: 0, skip: from === state.from ? [...state.skip, ...sameInstant] : sameInstant }
}

// The SDK types `sorts` as strings; HubSpot's API takes {propertyName, direction} objects.
const ascending = [{ propertyName: "hs_lastmodifieddate", direction: "ASCENDING" }] as unknown as Array<string>

export const makeModifiedBetween = <W>(
  call: Call,
  propertiesOf: (type: CrmObjectType) => ReadonlyArray<string>,
  withLinks: <T extends CrmObjectType>(type: T, objects: ReadonlyArray<HubSpotObject>) => Effect.Effect<ModifiedPage<T>["records"], W>,
  pageSize: number
) =>
  Effect.fn("HubSpotCrm.modifiedBetween")(function* <T extends CrmObjectType>(type: T, window: { readonly from: number; readonly to: number }, after?: string) {
    const decoded = after === undefined ? Option.some<Cursor>({ from: window.from, after: 0, skip: [] }) : decodeCursor(after)
    if (Option.isNone(decoded)) return yield* new CrmError({ reason: new CrmRejected({ message: `not a modifiedBetween cursor: ${after}` }) })
    const state = decoded.value
    const filters = [
      { propertyName: "hs_lastmodifieddate", operator: FilterOperatorEnum.Gte, value: String(state.from) },
      { propertyName: "hs_lastmodifieddate", operator: FilterOperatorEnum.Lt, value: String(window.to) }
    ]
    const data = yield* call("objects.search", "search", (c) =>
      c.crm.objects.searchApi.doSearchWithHttpInfo(hubspotType[type], {
        filterGroups: [{ filters }],
        sorts: ascending,
        properties: [...propertiesOf(type)],
        limit: pageSize,
        after: String(state.after)
      })
    )
    const fresh = data.results.filter((o) => !state.skip.includes(o.id))
    const next = nextCursor(state, data.results, data.paging?.next?.after, pageSize)
    const page: ModifiedPage<T> = { records: yield* withLinks(type, fresh), next: next === undefined ? undefined : JSON.stringify(next) }
    return page
  })
