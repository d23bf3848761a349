// The platform's REST lookups (GET /users/:id, GET /users?fromId=…&cursor=…&limit=…, the batch
// read GET /users?ids=a,b,c, same for businesses and purchases) with injectable faults, served by
// Bun on a free port.
import { Hono } from "hono"
import type { ContentfulStatusCode } from "hono/utils/http-status"
import type { IdFilter } from "../../../src/application/ports/CommerceApi.ts"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import { seededRandom } from "../hubspot/Faults.ts"
import type { PlatformState } from "./PlatformState.ts"

export interface Faults {
  /** The next N calls answer `status`. */
  readonly failNext: number
  /** Share of calls (0..1, seeded) answering `status`. */
  readonly errorRate: number
  readonly status: number
  /** Added to every call (e.g. above the client's timeout). */
  readonly latencyMs: number
  readonly seed: number
}
export const noFaults: Faults = { failNext: 0, errorRate: 0, status: 503, latencyMs: 0, seed: 1 }

const collections: Readonly<Record<string, CommerceEntity>> = { users: "user", businesses: "business", purchases: "purchase" }
const filterKeys = ["fromId", "toId", "createdFrom", "createdTo"] as const

/** The most ids one batch read takes: more is a 400, as a real shop bounds its URLs. */
export const MAX_BATCH_READ = 250

const filterOf = (query: Record<string, string>): IdFilter =>
  Object.fromEntries(filterKeys.flatMap((key) => (query[key] === undefined ? [] : [[key, query[key]]])))

export interface RestServer {
  readonly url: string
  readonly setFaults: (faults: Partial<Faults>) => void
  readonly stop: () => Promise<void>
}

const app = (state: PlatformState, faults: { current: Faults; random: () => number }, token: string | undefined, batchRead: boolean) =>
  new Hono()
    .use(async (c, next) => {
      if (token !== undefined && c.req.header("authorization") !== `Bearer ${token}`) return c.json({ error: "unauthorized" }, 401)
      const f = faults.current
      if (f.latencyMs > 0) await Bun.sleep(f.latencyMs)
      const fail = f.failNext > 0 || (f.errorRate > 0 && faults.random() < f.errorRate)
      if (f.failNext > 0) faults.current = { ...f, failNext: f.failNext - 1 }
      if (fail) return c.json({ error: "injected fault" }, f.status as ContentfulStatusCode)
      return next()
    })
    .get("/:collection/:id", (c) => {
      const entity = collections[c.req.param("collection")]
      const found = entity === undefined ? undefined : state.get(entity, c.req.param("id"))
      return found === undefined || found.deleted ? c.json({ error: "not found" }, 404) : c.json(found.record)
    })
    .get("/:collection", (c) => {
      const entity = collections[c.req.param("collection")]
      if (entity === undefined) return c.json({ error: "not found" }, 404)
      const query = c.req.query()
      // A shop without the batch read ignores `ids` and answers a list page, as an unknown
      // parameter is ignored: the client must tell the two answers apart.
      if (batchRead && query["ids"] !== undefined) {
        const ids = query["ids"] === "" ? [] : query["ids"].split(",")
        if (ids.length > MAX_BATCH_READ) return c.json({ error: `at most ${MAX_BATCH_READ} ids a call` }, 400)
        const records = ids.flatMap((id) => {
          const found = state.get(entity, id)
          return found === undefined || found.deleted ? [] : [found.record]
        })
        return c.json({ records })
      }
      const limit = Number(query["limit"] ?? 100)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return c.json({ error: "limit must be an integer in 1..1000" }, 400)
      const page = state.page(entity, filterOf(query), query["cursor"], limit)
      return c.json({ ids: page.ids, next: page.next ?? null })
    })

export const startRestServer = (
  state: PlatformState,
  options: {
    readonly token?: string | undefined
    readonly faults?: Partial<Faults> | undefined
    /** false: a shop that serves records one id a call only (GET /users?ids=… lists instead). */
    readonly batchRead?: boolean | undefined
  }
): RestServer => {
  const initial = { ...noFaults, ...options.faults }
  const faults = { current: initial, random: seededRandom(initial.seed) }
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app(state, faults, options.token, options.batchRead ?? true).fetch })
  const setFaults = (partial: Partial<Faults>) => {
    faults.current = { ...faults.current, ...partial }
    if (partial.seed !== undefined) faults.random = seededRandom(partial.seed)
  }
  return { url: `http://127.0.0.1:${server.port}`, setFaults, stop: () => server.stop(true) }
}
