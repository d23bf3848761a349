// What every route needs: the state, the fault injector, the limits.
import type { FaultInjector } from "./FaultInjector.ts"
import type { RateLimiter } from "./RateLimiter.ts"
import type { SimStore } from "./SimStore.ts"

export interface SimContext {
  readonly store: SimStore
  readonly faults: FaultInjector
  readonly limiter: RateLimiter
  readonly portalId: number
  readonly searchIndexDelayMs: number
}
