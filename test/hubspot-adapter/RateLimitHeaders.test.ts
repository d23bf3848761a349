// What a HubSpot answer tells the shared budget, now that the port's reasons no longer name
// HubSpot's 429 policies: the adapter passes the policy alongside the neutral reason.
import { expect, test } from "bun:test"
import { observationOf } from "../../src/adapters/hubspot/RateLimitHeaders.ts"
import { CrmQuotaExhausted, CrmThrottled, CrmTransient } from "../../src/application/ports/Crm.ts"

const now = 1_000_000

test("a rolling 429 pauses the budget for its wait; a search's SECONDLY 429 does not", () => {
  const throttled = new CrmThrottled({ retryAfterMs: 10_000 })
  expect(observationOf({}, throttled, now, "TEN_SECONDLY_ROLLING")).toEqual({ pauseUntil: now + 10_000 })
  expect(observationOf({}, throttled, now, "SECONDLY")).toBeUndefined()
})

test("an exhausted daily quota marks the budget exhausted; headers carry the daily count left", () => {
  const exhausted = new CrmQuotaExhausted({ retryAfterMs: 5_000, resetAt: now + 5_000 })
  expect(observationOf({ "X-HubSpot-RateLimit-Daily-Remaining": "0" }, exhausted, now, "DAILY")).toEqual({ dailyRemaining: 0, dailyExhausted: true })
  expect(observationOf({}, new CrmTransient({ message: "locked", status: 423, retryAfterMs: 2_000 }), now)).toBeUndefined()
})
