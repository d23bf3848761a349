// Decides, per call, which injected fault (if any) replaces the normal answer.

import { type Faults, noFaults, seededRandom } from "./Faults.ts"
import { errorResponse, unauthorized } from "./HubSpotErrors.ts"
import type { SimResponse } from "./SimHttp.ts"

export type FaultAction = { kind: "respond"; response: SimResponse } | { kind: "hang" } | { kind: "reset" } | undefined

export class FaultInjector {
  faults: Faults = noFaults()
  private random = seededRandom(1)
  private upserts = new Map<string, number[]>()

  constructor(private readonly clock: () => number = Date.now) {}

  set(partial: Partial<Faults>): void {
    this.faults = { ...this.faults, ...partial }
    if (partial.seed !== undefined) this.random = seededRandom(partial.seed)
  }

  reset(): void {
    this.faults = noFaults()
    this.random = seededRandom(1)
    this.upserts.clear()
  }

  private consume(key: "failNext" | "hangNext" | "resetNext" | "unauthorizedNext" | "migrationNext"): boolean {
    if (this.faults[key] <= 0) return false
    this.faults[key]--
    return true
  }

  /** Faults checked before authentication and rate limiting. */
  before(path: string): FaultAction {
    if (!this.applies(path)) return undefined
    if (this.consume("unauthorizedNext")) return { kind: "respond", response: unauthorized() }
    return undefined
  }

  /** Faults checked after the call was admitted. */
  after(path: string): FaultAction {
    if (!this.applies(path)) return undefined
    if (this.consume("resetNext")) return { kind: "reset" }
    if (this.consume("hangNext")) return { kind: "hang" }
    if (this.consume("migrationNext")) return this.migration()
    if (this.consume("failNext") || (this.faults.errorRate > 0 && this.random() < this.faults.errorRate)) return this.serverError()
    return this.locked(path)
  }

  private applies(path: string): boolean {
    return this.faults.pathPattern === null || new RegExp(this.faults.pathPattern).test(path)
  }

  private serverError(): FaultAction {
    const status = this.faults.serverErrorStatus
    return { kind: "respond", response: errorResponse(status, "INTERNAL_ERROR", "internal error") }
  }

  private migration(): FaultAction {
    const response = errorResponse(477, "MIGRATION_IN_PROGRESS", "This portal is currently being migrated.")
    response.headers = { "Retry-After": String(this.faults.retryAfterSeconds) }
    return { kind: "respond", response }
  }

  private locked(path: string): FaultAction {
    const m = /^\/crm\/v3\/objects\/([^/]+)\/batch\/upsert$/.exec(path)
    const limit = this.faults.lockedUpserts
    if (m === null || limit === null) return undefined
    const now = this.clock()
    const recent = (this.upserts.get(m[1] ?? "") ?? []).filter((t) => now - t < limit.windowMs)
    recent.push(now)
    this.upserts.set(m[1] ?? "", recent)
    if (recent.length <= limit.max) return undefined
    return { kind: "respond", response: errorResponse(423, "LOCKED", "Too many concurrent upserts for this object type; retry after 2 seconds.") }
  }
}
