// One API call through HubSpot's gates: faults, auth, rate limits, then the route.
import type { FaultAction, FaultInjector } from "./FaultInjector.ts"
import { errorResponse, rateLimited, unauthorized } from "./HubSpotErrors.ts"
import type { RateLimiter } from "./RateLimiter.ts"
import { matchRoute, type Route, type SimRequest, type SimResponse } from "./SimHttp.ts"

export type Outcome = { kind: "respond"; response: SimResponse } | { kind: "hang" } | { kind: "reset" }

export interface Pipeline {
  readonly adminRoutes: readonly Route[]
  readonly apiRoutes: readonly Route[]
  readonly faults: FaultInjector
  readonly limiter: RateLimiter
  readonly accessToken: string
}

const respond = (response: SimResponse): Outcome => ({ kind: "respond", response })

const run = async (routes: readonly Route[], req: Omit<SimRequest, "params">): Promise<SimResponse | undefined> => {
  const m = matchRoute(routes, req.method, req.path)
  return m === undefined ? undefined : await m.route.handler({ ...req, params: m.params })
}

const isAuthorized = (p: Pipeline, req: Omit<SimRequest, "params">): boolean => req.headers["authorization"] === `Bearer ${p.accessToken}`

const isSearch = (req: Omit<SimRequest, "params">): boolean => req.method === "POST" && /^\/crm\/v3\/objects\/[^/]+\/search$/.test(req.path)

const withHeaders = (res: SimResponse, headers: Record<string, string>): SimResponse => ({ ...res, headers: { ...headers, ...res.headers } })

const asOutcome = (action: FaultAction): Outcome | undefined => action

export const handle = async (p: Pipeline, req: Omit<SimRequest, "params">): Promise<Outcome> => {
  if (req.path.startsWith("/__sim/")) return respond((await run(p.adminRoutes, req)) ?? errorResponse(404, "OBJECT_NOT_FOUND", "Not found"))
  const early = asOutcome(p.faults.before(req.path))
  if (early !== undefined) return early
  if (!isAuthorized(p, req)) return respond(unauthorized())
  const search = isSearch(req)
  const decision = p.limiter.take(search)
  if (!decision.allowed) return respond(withHeaders(rateLimited(decision.policy), decision.headers))
  const fault = asOutcome(p.faults.after(req.path))
  if (p.faults.faults.latencyMs > 0) await Bun.sleep(p.faults.faults.latencyMs)
  if (fault !== undefined) return fault.kind === "respond" ? respond(withHeaders(fault.response, decision.headers)) : fault
  const res = (await run(p.apiRoutes, req)) ?? errorResponse(404, "OBJECT_NOT_FOUND", `Unable to route ${req.method} ${req.path}`)
  return respond(withHeaders(res, decision.headers))
}
