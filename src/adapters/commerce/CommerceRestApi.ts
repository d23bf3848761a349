// CommerceApi over the commerce platform's REST API (GET /<entities>/:id, GET /<entities>?filter).
import { Config, Effect, Layer, Option, type Redacted, Schema } from "effect"
import { CommerceApi, type IdFilter, type IdPage } from "../../application/ports/CommerceApi.ts"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"
import { type Answer, type Get, makeGet, rejected, unexpected } from "./CommerceHttp.ts"

export interface Options {
  readonly baseUrl: string
  /** Sent as a bearer token when set. */
  readonly token?: Redacted.Redacted<string>
  /** Per call, body included; no answer by then is a (retryable) CommerceUnavailable. Default 10 s. */
  readonly timeoutMs?: number
}

const collections: Readonly<Record<CommerceEntity, string>> = { user: "users", business: "businesses", purchase: "purchases" }

const Entity = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown))
const Page = Schema.fromJsonString(Schema.Struct({ ids: Schema.Array(Schema.String), next: Schema.optionalKey(Schema.NullOr(Schema.String)) }))

const decode = <S extends Schema.Codec<unknown, string>>(schema: S, path: string, answer: Answer) =>
  Schema.decodeUnknownEffect(schema)(answer.body).pipe(Effect.mapError((issue) => unexpected(path, answer.status, issue.message)))

const queryOf = (filter: IdFilter, cursor: string | undefined, limit: number): Record<string, string | undefined> => ({
  ...filter,
  cursor,
  limit: String(limit)
})

/**
 * GETs in flight at once. A backfill page hands flow C hundreds of id-only events and the lane
 * takes up to ~1 900 records/s, so at 5-15 ms a GET the fetch must keep 10-30 in flight to stay
 * off the critical path (8 made a page of 500 wait ~0.5 s on the shop alone).
 */
const FETCH_CONCURRENCY = 32

const makeApi = (get: Get) => {
  const fetch = Effect.fn("CommerceRestApi.fetch")(function* (entity: CommerceEntity, id: string) {
    const path = `${collections[entity]}/${encodeURIComponent(id)}`
    const answer = yield* get(path, {})
    if (answer.status === 404) return Option.none()
    if (answer.status !== 200) return yield* rejected(path, answer)
    return Option.some(yield* decode(Entity, path, answer))
  })

  // The platform has no batch lookup: a bounded number of GETs at once, so a batch of id-only
  // events costs one round trip of latency without flooding the shop.
  const fetchMany = Effect.fn("CommerceRestApi.fetchMany")(function* (entity: CommerceEntity, ids: ReadonlyArray<string>) {
    const found = yield* Effect.forEach([...new Set(ids)], (id) => Effect.map(fetch(entity, id), (record) => Option.map(record, (r) => ({ id, record: r }))), {
      concurrency: FETCH_CONCURRENCY
    })
    return found.flatMap(Option.toArray)
  })

  const listIds = Effect.fn("CommerceRestApi.listIds")(function* (entity: CommerceEntity, filter: IdFilter, cursor: string | undefined, limit: number) {
    const path = collections[entity]
    const answer = yield* get(path, queryOf(filter, cursor, limit))
    if (answer.status !== 200) return yield* rejected(path, answer)
    const page = yield* decode(Page, path, answer)
    return { ids: page.ids, next: page.next ?? undefined } satisfies IdPage
  })

  return CommerceApi.of({ fetch, fetchMany, listIds })
}

export const make = (options: Options) =>
  Effect.sync(() => makeApi(makeGet({ baseUrl: options.baseUrl, token: options.token, timeoutMs: options.timeoutMs ?? 10_000 })))

export const layer = (options: Options): Layer.Layer<CommerceApi> => Layer.effect(CommerceApi, make(options))

/** Reads COMMERCE_API_URL, optional COMMERCE_API_TOKEN and COMMERCE_API_TIMEOUT_MS (default 10000). */
export const layerConfig: Layer.Layer<CommerceApi, Config.ConfigError> = Layer.unwrap(
  Effect.gen(function* () {
    const baseUrl = yield* Config.String("COMMERCE_API_URL")
    const token = yield* Config.option(Config.Redacted("COMMERCE_API_TOKEN"))
    const timeoutMs = yield* Config.Int("COMMERCE_API_TIMEOUT_MS").pipe(Config.withDefault(10_000))
    return layer({ baseUrl, timeoutMs, ...Option.match(token, { onNone: () => ({}), onSome: (value) => ({ token: value }) }) })
  })
)
