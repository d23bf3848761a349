// Failures injected on demand, through options or POST /__sim/faults.
import type { ObjectType } from "./ObjectTypes.ts"

export interface ItemRejection {
  readonly property: string
  readonly value: string
  readonly message?: string
}

export interface Faults {
  /** Probability (0..1) that a call answers with `serverErrorStatus`. */
  errorRate: number
  /** Seed of the random generator behind `errorRate`. */
  seed: number
  /** The next N calls answer with `serverErrorStatus`. */
  failNext: number
  serverErrorStatus: number
  /** Added latency for every call. */
  latencyMs: number
  /** The next N calls never answer (until the simulator stops). */
  hangNext: number
  /** The next N calls get their socket closed without an answer. */
  resetNext: number
  /** The next N calls answer 401 as if the token were revoked. */
  unauthorizedNext: number
  /** The next N calls answer 477 Migration in progress with this Retry-After (s). */
  migrationNext: number
  retryAfterSeconds: number
  /** More than `max` batch/upsert calls of one object type within `windowMs` answer 423. */
  lockedUpserts: { readonly max: number; readonly windowMs: number } | null
  /** Batch/single write inputs carrying one of these property values fail validation. */
  rejectItems: ItemRejection[]
  /** Programmatic variant of `rejectItems` (not settable over HTTP). */
  rejectWhen: ((objectType: ObjectType, properties: Record<string, string>) => string | undefined) | null
  /** Only paths matching this pattern get the call-level faults above. */
  pathPattern: string | null
}

export const noFaults = (): Faults => ({
  errorRate: 0,
  seed: 1,
  failNext: 0,
  serverErrorStatus: 500,
  latencyMs: 0,
  hangNext: 0,
  resetNext: 0,
  unauthorizedNext: 0,
  migrationNext: 0,
  retryAfterSeconds: 30,
  lockedUpserts: null,
  rejectItems: [],
  rejectWhen: null,
  pathPattern: null
})

/** mulberry32: small, seedable, good enough to make fault runs reproducible. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const rejectionFor = (faults: Faults, t: ObjectType, props: Record<string, string>): string | undefined => {
  const hit = faults.rejectItems.find((r) => props[r.property] === r.value)
  if (hit !== undefined) return hit.message ?? `${hit.value} was rejected for property ${hit.property}`
  return faults.rejectWhen?.(t, props) ?? undefined
}
