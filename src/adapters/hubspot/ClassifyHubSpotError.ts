// Turns what the HubSpot SDK threw (or answered) into the Crm port's vendor-neutral reasons, with
// the waits HubSpot asks for: 429 TEN_SECONDLY_ROLLING/SECONDLY → throttled, 429 DAILY → quota
// exhausted, 423/477/5xx/network → transient, 401/403 → unauthorized, other 4xx → rejected.
// Pure: the caller passes `now` and the account's next daily reset.
import { Option, Predicate, Schema } from "effect"
import { type CrmErrorReason, CrmQuotaExhausted, CrmRejected, CrmThrottled, CrmTransient, CrmUnauthorized } from "../../application/ports/Crm.ts"

export interface ClassifyContext {
  readonly now: number
  /** Epoch ms of the account's next midnight: when a DAILY 429 ends. */
  readonly dailyResetAt: number
}

export type Headers = Readonly<Record<string, string | undefined>>

/** HubSpot's documented floors: 423 wants ≥ 2 s, a rolling 429 ≥ its interval. */
export const LOCKED_FLOOR_MS = 2_000
export const TEN_SECONDLY_DEFAULT_MS = 10_000
export const SECONDLY_FLOOR_MS = 1_000
/** 477 without Retry-After: HubSpot says migrations take a while; a minute is a modest guess. */
export const MIGRATION_DEFAULT_MS = 60_000

const ErrorBody = Schema.Struct({
  category: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  policyName: Schema.optional(Schema.String)
})
type ErrorBody = typeof ErrorBody.Type
const decodeBody = Schema.decodeUnknownOption(ErrorBody)
const decodeJsonBody = Schema.decodeUnknownOption(Schema.fromJsonString(ErrorBody))

// "Unknown API Status Code!" exceptions carry the raw text instead of a parsed body.
const bodyOf = (raw: unknown): ErrorBody => Option.getOrElse(Predicate.isString(raw) ? decodeJsonBody(raw) : decodeBody(raw), () => ({}))

const header = (headers: Headers, name: string): string | undefined => {
  const wanted = name.toLowerCase()
  return Object.entries(headers).find(([k]) => k.toLowerCase() === wanted)?.[1]
}

/** Retry-After is delta-seconds or an HTTP date. */
export const retryAfterMs = (headers: Headers, now: number): number | undefined => {
  const raw = header(headers, "retry-after")?.trim()
  if (raw === undefined || raw === "") return undefined
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000
  const at = Date.parse(raw)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

const positive = (raw: string | undefined): number | undefined => {
  const n = raw === undefined ? Number.NaN : Number(raw)
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** HubSpot's 429 policies; only the adapter's budget bookkeeping tells them apart. */
export type RateLimitPolicy = "TEN_SECONDLY_ROLLING" | "SECONDLY" | "DAILY"

/** The 429 policy an answer names (a 429 without one is the rolling limit), if it is a 429. */
export const rateLimitPolicyOf = (status: number, rawBody: unknown): RateLimitPolicy | undefined => {
  if (status !== 429) return undefined
  const policy = bodyOf(rawBody).policyName
  return policy === "DAILY" || policy === "SECONDLY" ? policy : "TEN_SECONDLY_ROLLING"
}

const rateLimited = (body: unknown, headers: Headers, ctx: ClassifyContext): CrmThrottled | CrmQuotaExhausted => {
  const after = retryAfterMs(headers, ctx.now) ?? 0
  const policy = rateLimitPolicyOf(429, body)
  if (policy === "DAILY") {
    const wait = Math.max(ctx.dailyResetAt - ctx.now, after, SECONDLY_FLOOR_MS)
    return new CrmQuotaExhausted({ retryAfterMs: wait, resetAt: ctx.now + wait })
  }
  if (policy === "SECONDLY") return new CrmThrottled({ retryAfterMs: Math.max(SECONDLY_FLOOR_MS, after) })
  // A rolling window frees a slot only when the oldest call ages out: wait a whole interval.
  const interval = positive(header(headers, "x-hubspot-ratelimit-interval-milliseconds"))
  return new CrmThrottled({ retryAfterMs: Math.max(interval ?? 0, after) || TEN_SECONDLY_DEFAULT_MS })
}

// HubSpot's category (VALIDATION_ERROR, OBJECT_NOT_FOUND...) stays readable in the message only.
export const describeItemError = (category: string | undefined, message: string): string => (category === undefined ? message : `${category}: ${message}`)

/** The reason for an HTTP answer, or `undefined` when the status is a success. */
export const classifyResponse = (status: number, rawBody: unknown, headers: Headers, ctx: ClassifyContext): CrmErrorReason | undefined => {
  if (status >= 200 && status < 300) return undefined
  const body = bodyOf(rawBody)
  const message = body.message ?? `HubSpot answered ${status}`
  if (status === 429) return rateLimited(rawBody, headers, ctx)
  if (status === 423)
    return new CrmTransient({ message: `locked: ${message}`, status, retryAfterMs: Math.max(LOCKED_FLOOR_MS, retryAfterMs(headers, ctx.now) ?? 0) })
  if (status === 477)
    return new CrmTransient({ message: `migrating: ${message}`, status, retryAfterMs: retryAfterMs(headers, ctx.now) ?? MIGRATION_DEFAULT_MS })
  if (status === 401 || status === 403) return new CrmUnauthorized({ message: `${status}: ${message}` })
  if (status >= 400 && status < 500) return new CrmRejected({ status, message: describeItemError(body.category ?? `HTTP_${status}`, message) })
  // 5xx, and the odd 1xx/3xx nobody should send us: HubSpot's side, worth another try.
  return new CrmTransient({ status, message })
}

const isHttpStatus = (code: unknown): code is number => Predicate.isNumber(code) && Number.isInteger(code) && code >= 100 && code < 600

// Whatever was thrown must not make classifying it throw (String() fails on some objects).
const describe = (error: unknown): string => {
  if (Predicate.hasProperty(error, "message") && Predicate.isString(error.message)) return error.message
  try {
    return String(error)
  } catch {
    return "unprintable error"
  }
}

/**
 * Duck-types the SDK's ApiException (each generated module has its own class, so no
 * `instanceof`). Anything without an HTTP status — ECONNRESET, "fetch failed", a timeout —
 * never reached HubSpot's answer: transient.
 */
export const classifyHubSpotError = (error: unknown, ctx: ClassifyContext): CrmErrorReason => {
  if (!Predicate.hasProperty(error, "code") || !isHttpStatus(error.code)) return new CrmTransient({ message: describe(error) })
  const headers = Predicate.hasProperty(error, "headers") && Predicate.isObject(error.headers) ? (error.headers as Headers) : {}
  const body = Predicate.hasProperty(error, "body") ? error.body : undefined
  return classifyResponse(error.code, body, headers, ctx) ?? partialFailure(error.code, body)
}

/** The 429 policy of what the SDK threw: the budget pauses on the rolling one, search paces on SECONDLY. */
export const thrownRateLimitPolicy = (error: unknown): RateLimitPolicy | undefined =>
  Predicate.hasProperty(error, "code") && isHttpStatus(error.code)
    ? rateLimitPolicyOf(error.code, Predicate.hasProperty(error, "body") ? error.body : undefined)
    : undefined

const ItemErrors = Schema.Struct({ errors: Schema.Array(ErrorBody) })

/**
 * Some generated methods (v4 associate/default) throw on 207: HubSpot applied part of the batch
 * and refused the rest. Repeating it would fail the same way, so it is a rejection.
 */
const partialFailure = (status: number, body: unknown): CrmRejected => {
  const first = Option.getOrUndefined(Schema.decodeUnknownOption(ItemErrors)(body))?.errors[0] ?? bodyOf(body)
  return new CrmRejected({
    status,
    message: describeItemError(first.category ?? "PARTIAL_FAILURE", first.message ?? `HubSpot answered ${status} with per-item errors`)
  })
}
