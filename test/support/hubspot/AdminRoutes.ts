// /__sim/* inspection and control endpoints, and the account API-usage endpoint.

import type { CrmUi } from "./CrmUi.ts"
import type { Faults } from "./Faults.ts"
import { validationError } from "./HubSpotErrors.ts"
import { resolveObjectType } from "./ObjectTypes.ts"
import type { SimContext } from "./SimContext.ts"
import { bodyRecord, json, type Route, route, type SimRequest, type SimResponse } from "./SimHttp.ts"

export interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly status: number | "hang" | "reset"
  readonly time: string
  readonly durationMs: number
  /** The parsed request body, for tests that check what was written. */
  readonly body?: unknown
}

export interface AdminHooks {
  readonly requestLog: () => LoggedRequest[]
  readonly reset: () => void
  readonly resetDay: () => void
  readonly setFaults: (f: Partial<Faults>) => void
  readonly flushWebhooks: () => Promise<void>
  readonly ui: CrmUi
}

const usage = (ctx: SimContext): SimResponse => {
  const now = new Date(ctx.store.now())
  const resetsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString()
  const entry = {
    name: "private-apps-api-calls-daily",
    usageLimit: ctx.limiter.config.dailyLimit,
    currentUsage: ctx.limiter.dailyUsed,
    collectedAt: now.toISOString(),
    fetchStatus: "SUCCESS",
    resetsAt
  }
  return json(200, { results: [entry] })
}

const uiWrite = (hooks: AdminHooks, req: SimRequest): SimResponse => {
  const t = resolveObjectType(req.params["objectType"] ?? "")
  if (t === undefined) return validationError("unknown object type")
  const props = (bodyRecord(req)["properties"] ?? {}) as Record<string, string>
  const id = req.params["objectId"]
  const obj = id === undefined ? hooks.ui.create(t, props) : hooks.ui.update(t, id, props)
  return obj === undefined ? json(404, { message: "not found" }) : json(200, obj)
}

export const accountRoutes = (ctx: SimContext): Route[] => [route("GET", "/account-info/v3/api-usage/daily/private-apps", () => usage(ctx))]

export const adminRoutes = (ctx: SimContext, hooks: AdminHooks): Route[] => [
  route("GET", "/__sim/state", () => json(200, ctx.store.snapshot())),
  route("GET", "/__sim/requests", () => json(200, hooks.requestLog())),
  route("POST", "/__sim/reset", () => {
    hooks.reset()
    return { status: 204 }
  }),
  route("POST", "/__sim/day/reset", () => {
    hooks.resetDay()
    return { status: 204 }
  }),
  route("POST", "/__sim/faults", (req) => {
    hooks.setFaults(bodyRecord(req) as Partial<Faults>)
    return { status: 204 }
  }),
  route("POST", "/__sim/webhooks/flush", async () => {
    await hooks.flushWebhooks()
    return { status: 204 }
  }),
  route("POST", "/__sim/ui/{objectType}", (req) => uiWrite(hooks, req)),
  route("PATCH", "/__sim/ui/{objectType}/{objectId}", (req) => uiWrite(hooks, req))
]
