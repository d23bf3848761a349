// CommerceApi over the commerce platform's REST API (GET /<entities>/:id, GET /<entities>?filter,
// and the batch read GET /<entities>?ids=a,b,c where the platform has it).
import { Config, Effect, Layer, Option, type Redacted, Schema } from "effect"
import { CommerceApi, type FetchedRecord, type IdFilter, type IdPage } from "../../application/ports/CommerceApi.ts"
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
const Batch = Schema.fromJsonString(Schema.Struct({ records: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)) }))
const Page = Schema.fromJsonString(Schema.Struct({ ids: Schema.Array(Schema.String), next: Schema.optionalKey(Schema.NullOr(Schema.String)) }))

const decodeBatch = Schema.decodeUnknownOption(Batch)
const decodePage = Schema.decodeUnknownOption(Page)

const decode = <S extends Schema.Codec<unknown, string>>(schema: S, path: string, answer: Answer) =>
  Schema.decodeUnknownEffect(schema)(answer.body).pipe(Effect.mapError((issue) => unexpected(path, answer.status, issue.message)))

const queryOf = (filter: IdFilter, cursor: string | undefined, limit: number): Record<string, string | undefined> => ({
  ...filter,
  cursor,
  limit: String(limit)
})

/**
 * Per-id GETs in flight at once, on a platform without the batch read. A backfill page hands flow
 * C hundreds of id-only events and the lane takes up to ~1 900 records/s, so at 5-15 ms a GET the
 * fetch must keep 10-30 in flight to stay off the critical path (8 made a page of 500 wait ~0.5 s
 * on the shop alone).
 */
const FETCH_CONCURRENCY = 32
/**
 * Ids per batch read, and batch reads in flight at once. 1 000 per-id GETs cost both sides
 * ~0.6 s of CPU on a page of 1 000 (the shop's and ours: HTTP framing, not records); ten reads of
 * 100 cost a few ms. 100 ids keep the URL near 2 kB, well inside what servers and proxies take.
 */
const BATCH_READ = 100
const BATCH_CONCURRENCY = 4

/** Statuses a platform without the batch read may answer `?ids=` with (besides a list page). */
const noBatchRead = new Set([400, 404, 405, 501])

const makeApi = (get: Get) => {
  const fetch = Effect.fn("CommerceRestApi.fetch")(function* (entity: CommerceEntity, id: string) {
    const path = `${collections[entity]}/${encodeURIComponent(id)}`
    const answer = yield* get(path, {})
    if (answer.status === 404) return Option.none()
    if (answer.status !== 200) return yield* rejected(path, answer)
    return Option.some(yield* decode(Entity, path, answer))
  })

  // Without the batch read: a bounded number of GETs at once, so a batch of id-only events costs
  // one round trip of latency without flooding the shop.
  const fetchEach = (entity: CommerceEntity, ids: ReadonlyArray<string>) =>
    Effect.map(
      Effect.forEach(ids, (id) => Effect.map(fetch(entity, id), (record) => Option.map(record, (r): FetchedRecord => ({ id, record: r }))), {
        concurrency: FETCH_CONCURRENCY
      }),
      (found) => found.flatMap(Option.toArray)
    )

  // Set once the platform answered `?ids=` with a list page: it ignores the parameter, so every
  // later batch goes id by id without asking again. A refusal (400, 404, 405, 501) may be about
  // this call only, and costs one call per batch to ask again.
  let batchReadIgnored = false

  /** One batch read; undefined when the platform does not serve it, so the caller reads id by id. */
  const readBatch = Effect.fn("CommerceRestApi.readBatch")(function* (entity: CommerceEntity, ids: ReadonlyArray<string>) {
    const path = collections[entity]
    const answer = yield* get(path, { ids: ids.join(",") })
    if (noBatchRead.has(answer.status)) return undefined
    if (answer.status !== 200) return yield* rejected(path, answer)
    const batch = decodeBatch(answer.body)
    if (Option.isNone(batch) && Option.isSome(decodePage(answer.body))) {
      batchReadIgnored = true
      return undefined
    }
    const asked = new Set(ids)
    const { records } = Option.isSome(batch) ? batch.value : yield* decode(Batch, path, answer)
    return records.flatMap((record): ReadonlyArray<FetchedRecord> => {
      const id = record["id"]
      return (typeof id === "string" || typeof id === "number") && asked.has(String(id)) ? [{ id: String(id), record }] : []
    })
  })

  // Ids holding a comma cannot ride in `ids=a,b,c`: they are read alone.
  const fetchMany = Effect.fn("CommerceRestApi.fetchMany")(function* (entity: CommerceEntity, ids: ReadonlyArray<string>) {
    const unique = [...new Set(ids)]
    const plain = unique.filter((id) => !id.includes(","))
    const alone = unique.filter((id) => id.includes(","))
    const chunks = Array.from({ length: Math.ceil(plain.length / BATCH_READ) }, (_, i) => plain.slice(i * BATCH_READ, (i + 1) * BATCH_READ))
    const batched = yield* Effect.forEach(
      chunks,
      (chunk) =>
        batchReadIgnored
          ? fetchEach(entity, chunk)
          : Effect.flatMap(readBatch(entity, chunk), (found) => (found === undefined ? fetchEach(entity, chunk) : Effect.succeed(found))),
      { concurrency: BATCH_CONCURRENCY }
    )
    return [...batched.flat(), ...(yield* fetchEach(entity, alone))]
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
