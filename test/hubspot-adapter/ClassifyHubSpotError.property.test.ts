// Properties of the classifier: successes are never errors, refusals are never retried, and
// every wait honours the floor HubSpot documents.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { classifyHubSpotError, classifyResponse, LOCKED_FLOOR_MS, TEN_SECONDLY_DEFAULT_MS } from "../../src/adapters/hubspot/ClassifyHubSpotError.ts"

const ctx = fc.record({ now: fc.integer({ min: 0, max: 2_000_000_000_000 }), ahead: fc.integer({ min: 0, max: 86_400_000 }) }).map(({ now, ahead }) => ({ now, dailyResetAt: now + ahead }))
const seconds = fc.integer({ min: 0, max: 86_400 })
const anyBody = fc.oneof(fc.constant(undefined), fc.string(), fc.record({ category: fc.string(), message: fc.string() }), fc.jsonValue())
const anyHeaders = fc.dictionary(fc.constantFrom("retry-after", "x-hubspot-ratelimit-interval-milliseconds", "x-other"), fc.string())
const refusal = fc.integer({ min: 400, max: 499 }).filter((s) => s !== 423 && s !== 429 && s !== 477)
const rateBody = (policyName: string) => ({ status: "error", message: "limit", errorType: "RATE_LIMIT", policyName })

describe("ClassifyHubSpotError", () => {
  test("a 2xx answer is never an error", () => {
    fc.assert(fc.property(fc.integer({ min: 200, max: 299 }), anyBody, anyHeaders, ctx, (status, body, headers, c) => classifyResponse(status, body, headers, c) === undefined))
  })

  test("other 4xx are never retryable; 401/403 say unauthorized, the rest carry HubSpot's category", () => {
    fc.assert(
      fc.property(refusal, fc.string(), anyHeaders, ctx, (status, category, headers, c) => {
        const reason = classifyHubSpotError({ code: status, body: { category, message: "m" }, headers }, c)
        expect(reason.isRetryable).toBe(false)
        if (status === 401 || status === 403) expect(reason._tag).toBe("CrmUnauthorized")
        else expect(reason).toMatchObject({ _tag: "CrmRejected", status, category })
      })
    )
  })

  test("5xx is a retryable server error", () => {
    fc.assert(fc.property(fc.integer({ min: 500, max: 599 }), anyBody, anyHeaders, ctx, (status, body, headers, c) => {
      const reason = classifyHubSpotError({ code: status, body, headers }, c)
      return reason._tag === "CrmServerError" && reason.isRetryable
    }))
  })

  test("423 waits at least 2 s, whatever Retry-After says", () => {
    fc.assert(fc.property(anyHeaders, ctx, (headers, c) => {
      const reason = classifyResponse(423, { category: "LOCKED" }, headers, c)
      return reason?._tag === "CrmUnavailable" && reason.isRetryable && reason.retryAfterMs >= LOCKED_FLOOR_MS
    }))
  })

  test("477 waits at least Retry-After", () => {
    fc.assert(fc.property(seconds, ctx, (s, c) => {
      const reason = classifyResponse(477, {}, { "Retry-After": String(s) }, c)
      return reason?._tag === "CrmUnavailable" && reason.status === 477 && reason.retryAfterMs >= s * 1000
    }))
  })

  test("429 TEN_SECONDLY_ROLLING waits at least the interval (or Retry-After, or 10 s)", () => {
    const interval = fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined })
    const retryAfter = fc.option(seconds, { nil: undefined })
    fc.assert(fc.property(interval, retryAfter, ctx, (i, r, c) => {
      const headers = { ...(i === undefined ? {} : { "X-HubSpot-RateLimit-Interval-Milliseconds": String(i) }), ...(r === undefined ? {} : { "retry-after": String(r) }) }
      const reason = classifyResponse(429, rateBody("TEN_SECONDLY_ROLLING"), headers, c)
      const floor = i === undefined && (r ?? 0) === 0 ? TEN_SECONDLY_DEFAULT_MS : Math.max(i ?? 0, (r ?? 0) * 1000)
      return reason?._tag === "CrmRateLimited" && reason.policy === "TEN_SECONDLY_ROLLING" && reason.retryAfterMs >= floor
    }))
  })

  test("429 SECONDLY waits ≥ 1 s; DAILY waits until the account's reset", () => {
    fc.assert(fc.property(ctx, anyHeaders, (c, headers) => {
      const secondly = classifyResponse(429, rateBody("SECONDLY"), headers, c)
      const daily = classifyResponse(429, JSON.stringify(rateBody("DAILY")), headers, c)
      return secondly?._tag === "CrmRateLimited" && secondly.retryAfterMs >= 1000 && daily?._tag === "CrmRateLimited" && daily.policy === "DAILY" && daily.retryAfterMs >= c.dailyResetAt - c.now
    }))
  })

  test("anything without an HTTP status is a retryable network error", () => {
    const thrown = fc.oneof(
      fc.string().map((m) => new Error(m)),
      fc.constantFrom("ECONNRESET", "ECONNREFUSED", "ETIMEDOUT").map((code) => Object.assign(new TypeError("fetch failed"), { code })),
      fc.anything().filter((v) => typeof v !== "object" || v === null || !("code" in v))
    )
    fc.assert(fc.property(thrown, ctx, (error, c) => {
      const reason = classifyHubSpotError(error, c)
      return reason._tag === "CrmNetworkError" && reason.isRetryable
    }))
  })
})
