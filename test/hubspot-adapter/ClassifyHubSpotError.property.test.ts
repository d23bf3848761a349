// Properties of the classifier: successes are never errors, refusals are never retried, every
// wait honours the floor HubSpot documents, and HubSpot's statuses land on the neutral reasons.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import {
  classifyHubSpotError,
  classifyResponse,
  LOCKED_FLOOR_MS,
  rateLimitPolicyOf,
  TEN_SECONDLY_DEFAULT_MS,
  thrownRateLimitPolicy
} from "../../src/adapters/hubspot/ClassifyHubSpotError.ts"

const ctx = fc
  .record({ now: fc.integer({ min: 0, max: 2_000_000_000_000 }), ahead: fc.integer({ min: 0, max: 86_400_000 }) })
  .map(({ now, ahead }) => ({ now, dailyResetAt: now + ahead }))
const seconds = fc.integer({ min: 0, max: 86_400 })
const anyBody = fc.oneof(fc.constant(undefined), fc.string(), fc.record({ category: fc.string(), message: fc.string() }), fc.jsonValue())
const anyHeaders = fc.dictionary(fc.constantFrom("retry-after", "x-hubspot-ratelimit-interval-milliseconds", "x-other"), fc.string())
const refusal = fc.integer({ min: 400, max: 499 }).filter((s) => s !== 423 && s !== 429 && s !== 477)
const rateBody = (policyName: string) => ({ status: "error", message: "limit", errorType: "RATE_LIMIT", policyName })

describe("ClassifyHubSpotError", () => {
  test("a 2xx answer is never an error", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 299 }),
        anyBody,
        anyHeaders,
        ctx,
        (status, body, headers, c) => classifyResponse(status, body, headers, c) === undefined
      )
    )
  })

  test("other 4xx are never retryable; 401/403 say unauthorized, the rest are rejected with HubSpot's category in the message", () => {
    fc.assert(
      fc.property(refusal, fc.string(), anyHeaders, ctx, (status, category, headers, c) => {
        const reason = classifyHubSpotError({ code: status, body: { category, message: "m" }, headers }, c)
        expect(reason.isRetryable).toBe(false)
        if (status === 401 || status === 403) expect(reason._tag).toBe("CrmUnauthorized")
        else expect(reason).toMatchObject({ _tag: "CrmRejected", status, message: expect.stringContaining(category) })
      })
    )
  })

  test("5xx is transient, with its status and no wait of its own", () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 599 }), anyBody, anyHeaders, ctx, (status, body, headers, c) => {
        const reason = classifyHubSpotError({ code: status, body, headers }, c)
        return reason._tag === "CrmTransient" && reason.isRetryable && reason.status === status && reason.retryAfterMs === undefined
      })
    )
  })

  test("423 (locked) is transient and waits at least 2 s, whatever Retry-After says", () => {
    fc.assert(
      fc.property(anyHeaders, ctx, (headers, c) => {
        const reason = classifyResponse(423, { category: "LOCKED" }, headers, c)
        return reason?._tag === "CrmTransient" && reason.isRetryable && reason.status === 423 && (reason.retryAfterMs ?? 0) >= LOCKED_FLOOR_MS
      })
    )
  })

  test("477 (migrating) is transient and waits at least Retry-After", () => {
    fc.assert(
      fc.property(seconds, ctx, (s, c) => {
        const reason = classifyResponse(477, {}, { "Retry-After": String(s) }, c)
        return reason?._tag === "CrmTransient" && reason.status === 477 && reason.retryAfterMs !== undefined && reason.retryAfterMs >= s * 1000
      })
    )
  })

  test("429 TEN_SECONDLY_ROLLING is throttled: waits at least the interval (or Retry-After, or 10 s)", () => {
    const interval = fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined })
    const retryAfter = fc.option(seconds, { nil: undefined })
    fc.assert(
      fc.property(interval, retryAfter, ctx, (i, r, c) => {
        const headers = {
          ...(i === undefined ? {} : { "X-HubSpot-RateLimit-Interval-Milliseconds": String(i) }),
          ...(r === undefined ? {} : { "retry-after": String(r) })
        }
        const reason = classifyResponse(429, rateBody("TEN_SECONDLY_ROLLING"), headers, c)
        const floor = i === undefined && (r ?? 0) === 0 ? TEN_SECONDLY_DEFAULT_MS : Math.max(i ?? 0, (r ?? 0) * 1000)
        const policy = thrownRateLimitPolicy({ code: 429, body: rateBody("TEN_SECONDLY_ROLLING") })
        return reason?._tag === "CrmThrottled" && policy === "TEN_SECONDLY_ROLLING" && reason.retryAfterMs >= floor
      })
    )
  })

  test("429 SECONDLY is throttled ≥ 1 s; DAILY is quota exhausted until the account's reset", () => {
    fc.assert(
      fc.property(ctx, anyHeaders, (c, headers) => {
        const secondly = classifyResponse(429, rateBody("SECONDLY"), headers, c)
        const daily = classifyResponse(429, JSON.stringify(rateBody("DAILY")), headers, c)
        return (
          secondly?._tag === "CrmThrottled" &&
          secondly.retryAfterMs >= 1000 &&
          rateLimitPolicyOf(429, rateBody("SECONDLY")) === "SECONDLY" &&
          daily?._tag === "CrmQuotaExhausted" &&
          daily.isRetryable &&
          daily.retryAfterMs >= c.dailyResetAt - c.now &&
          daily.resetAt >= c.dailyResetAt &&
          daily.resetAt === c.now + daily.retryAfterMs
        )
      })
    )
  })

  test("only a 429 names a rate-limit policy; one without a policy name is the rolling limit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), anyBody, (status, body) => {
        const policy = rateLimitPolicyOf(status, body)
        return status === 429 ? policy !== undefined : policy === undefined
      })
    )
    expect(rateLimitPolicyOf(429, {})).toBe("TEN_SECONDLY_ROLLING")
  })

  test("anything without an HTTP status (network, timeout) is transient, without a status", () => {
    const thrown = fc.oneof(
      fc.string().map((m) => new Error(m)),
      fc.constantFrom("ECONNRESET", "ECONNREFUSED", "ETIMEDOUT").map((code) => Object.assign(new TypeError("fetch failed"), { code })),
      fc.anything().filter((v) => typeof v !== "object" || v === null || !("code" in v))
    )
    fc.assert(
      fc.property(thrown, ctx, (error, c) => {
        const reason = classifyHubSpotError(error, c)
        return reason._tag === "CrmTransient" && reason.isRetryable && reason.status === undefined && thrownRateLimitPolicy(error) === undefined
      })
    )
  })
})
