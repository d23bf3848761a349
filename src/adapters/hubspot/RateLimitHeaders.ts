// What one HubSpot answer tells the shared budget: the daily count left (headers) and, from a
// 429, a pause or the end of the day. Search answers carry no headers and its SECONDLY limit is
// paced separately, so neither moves the burst budget.
import type { CrmErrorReason } from "../../application/ports/Crm.ts"
import type { Observation } from "../../application/ports/RateBudget.ts"
import type { Headers, RateLimitPolicy } from "./ClassifyHubSpotError.ts"

const DAILY_REMAINING = "x-hubspot-ratelimit-daily-remaining"

const dailyRemaining = (headers: Headers): number | undefined => {
  const raw = Object.entries(headers).find(([k]) => k.toLowerCase() === DAILY_REMAINING)?.[1]
  const n = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw)
  return Number.isInteger(n) && n >= 0 ? n : undefined
}

/** `undefined` when there is nothing worth telling the budget. */
export const observationOf = (headers: Headers, reason: CrmErrorReason | undefined, now: number, policy?: RateLimitPolicy): Observation | undefined => {
  const remaining = dailyRemaining(headers)
  const observation: { -readonly [K in keyof Observation]: Observation[K] } = remaining === undefined ? {} : { dailyRemaining: remaining }
  if (reason?._tag === "CrmThrottled" && policy === "TEN_SECONDLY_ROLLING") observation.pauseUntil = now + reason.retryAfterMs
  if (reason?._tag === "CrmQuotaExhausted") observation.dailyExhausted = true
  return Object.keys(observation).length === 0 ? undefined : observation
}
