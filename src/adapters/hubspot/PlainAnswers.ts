// The SDK's own request and error path, without its model deserialisation on success. Its
// ObjectSerializer walks every record and property of an answer against the OpenAPI type map
// (findCorrectType, a model instance per object, a Date per timestamp): on a CRM backfill's list
// pages and association reads that was ~2.5 % of the service's CPU for fields we then copy out
// again. Here the call is built by the SDK's request factory, passes its middleware and its HTTP
// library (so the same URL, headers, auth and abort signal), and any answer but a JSON one with
// an accepted status goes to the SDK's response processor: errors (ApiException with its code,
// body and headers, 429s included) are exactly the SDK's. A JSON success is parsed as is.
import type { Client } from "@hubspot/api-client"
import type { HubSpotObject } from "./ToCrmRecord.ts"

interface Observable<A> {
  toPromise(): Promise<A>
}
interface ResponseContext {
  readonly httpStatusCode: number
  readonly headers: Record<string, string>
  readonly body: { text(): Promise<string> }
}
interface Middleware {
  pre(context: unknown): Observable<unknown>
  post(response: ResponseContext): Observable<ResponseContext>
}
/** The generated Observable API behind each Promise API (`api`): not in the SDK's types. */
interface ObservableApi {
  readonly configuration: { readonly middleware: ReadonlyArray<Middleware>; readonly httpApi: { send(context: unknown): Observable<ResponseContext> } }
  readonly requestFactory: Record<string, (...args: ReadonlyArray<unknown>) => Promise<unknown>>
  readonly responseProcessor: Record<string, (response: ResponseContext) => Promise<{ readonly headers: Record<string, string>; readonly data: unknown }>>
}

const observableOf = (promiseApi: unknown): ObservableApi => (promiseApi as { readonly api: ObservableApi }).api

/** As the SDK's ObjectSerializer.normalizeMediaType. */
const mediaType = (header: string | undefined) => (header === undefined ? undefined : (header.split(";")[0] ?? "").trim().toLowerCase())

/**
 * One call as the SDK's `<operation>WithHttpInfo` makes it (ObservableAPI: factory, middleware
 * pre, send, middleware post in reverse, processor), except that an answer with one of `plain`'s
 * statuses and a JSON body comes back parsed but not deserialised.
 */
const plainCall = async <A>(
  promiseApi: unknown,
  operation: string,
  args: ReadonlyArray<unknown>,
  plain: ReadonlyArray<number>
): Promise<{ readonly headers: Record<string, string>; readonly data: A }> => {
  const api = observableOf(promiseApi)
  const { middleware, httpApi } = api.configuration
  const build = api.requestFactory[operation]
  const process = api.responseProcessor[`${operation}WithHttpInfo`]
  if (build === undefined || process === undefined) throw new Error(`HubSpot SDK has no ${operation} operation`)
  let context = await build.call(api.requestFactory, ...args, api.configuration)
  for (const m of middleware) context = await m.pre(context).toPromise()
  let response = await httpApi.send(context).toPromise()
  for (const m of [...middleware].reverse()) response = await m.post(response).toPromise()
  if (plain.includes(response.httpStatusCode) && mediaType(response.headers["content-type"]) === "application/json")
    return { headers: response.headers, data: JSON.parse(await response.body.text()) as A }
  const answer = await process.call(api.responseProcessor, response)
  return { headers: answer.headers, data: answer.data as A }
}

/** A CRM object as HubSpot sends it (v3), the fields we use. */
export interface PlainObject {
  readonly id: string
  readonly properties: Readonly<Record<string, string | null>>
  readonly updatedAt?: string | null
}
/** The SDK turns a timestamp into a Date; so does this. */
const withDate = (o: PlainObject): HubSpotObject =>
  o.updatedAt === undefined || o.updatedAt === null
    ? { id: o.id, properties: o.properties }
    : { id: o.id, properties: o.properties, updatedAt: new Date(o.updatedAt) }

/** GET /crm/v3/objects/{type}: a page of objects and the cursor of the next. */
export const listPage = async (client: Client, objectType: string, limit: number, after: string | undefined, properties: ReadonlyArray<string>) => {
  const answer = await plainCall<{
    readonly results: ReadonlyArray<PlainObject>
    readonly paging?: { readonly next?: { readonly after?: string } }
  }>(client.crm.objects.basicApi, "getPage", [objectType, limit, after, [...properties], undefined, undefined, undefined], [200])
  return { headers: answer.headers, data: { results: answer.data.results.map(withDate), paging: answer.data.paging } }
}

/** POST /crm/v3/objects/{type}/batch/read: the objects found (unknown ids are 207 errors, left out). */
export const readBatch = async (client: Client, objectType: string, ids: ReadonlyArray<string>, properties: ReadonlyArray<string>) => {
  const answer = await plainCall<{ readonly results: ReadonlyArray<PlainObject> }>(
    client.crm.objects.batchApi,
    "read",
    [objectType, { inputs: ids.map((id) => ({ id })), properties: [...properties], propertiesWithHistory: [] }, undefined],
    [200, 207]
  )
  return { headers: answer.headers, data: { results: answer.data.results.map(withDate) } }
}

/** POST /crm/v4/associations/{from}/{to}/batch/read: per source id, the associated ids (ids without any are 207 errors). */
export const readAssociations = async (client: Client, fromType: string, toType: string, ids: ReadonlyArray<string>) => {
  const answer = await plainCall<{
    readonly results: ReadonlyArray<{
      readonly from?: { readonly id: string }
      readonly _from?: { readonly id: string }
      readonly to: ReadonlyArray<{ readonly toObjectId: string | number }>
    }>
  }>(client.crm.associations.v4.batchApi, "getPage", [fromType, toType, { inputs: ids.map((id) => ({ id })) }], [200, 207])
  // JSON names the source `from`; the SDK's model `_from` (an answer it processed, e.g. a 2xx other than 200/207).
  return {
    headers: answer.headers,
    data: { results: answer.data.results.map((r) => ({ from: String((r.from ?? r._from)?.id), to: r.to.map((t) => String(t.toObjectId)) })) }
  }
}

/** POST /crm/v3/objects/{type}/search: a page of objects and the offset of the next page. */
export const searchPage = async (client: Client, objectType: string, body: Readonly<Record<string, unknown>>) => {
  const answer = await plainCall<{
    readonly results: ReadonlyArray<PlainObject>
    readonly paging?: { readonly next?: { readonly after?: string } }
  }>(client.crm.objects.searchApi, "doSearch", [objectType, body], [200])
  return { headers: answer.headers, data: { results: answer.data.results.map(withDate), paging: answer.data.paging } }
}
