import { expect, test } from "bun:test"
import { decideRetry } from "../../src/application/RetryDecision.ts"
import type { Step } from "../../src/application/Step.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"

const step: Step = { name: "s", bindings: [], retryTiersMs: [1_000, 10_000, 60_000, 600_000], maxAttempts: 5, deliveryLimit: 5, prefetch: 1 }
const transient = (retryAfterMs?: number) => new StepFailure({ retryable: true, reason: "5xx", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })

test.each([
  [1, 0, 1_000],
  [2, 1, 10_000],
  [3, 2, 60_000],
  [4, 3, 600_000]
])("attempt %d climbs to tier %d (%d ms)", (attempt, tier, delayMs) => {
  expect(decideRetry(step, attempt, transient())).toEqual({ _tag: "Retry", tier, delayMs, pause: false })
})

test("a floor (423's 2 s, 477's Retry-After) lifts the message to the first tier at least that long", () => {
  expect(decideRetry(step, 1, transient(2_000))).toEqual({ _tag: "Retry", tier: 1, delayMs: 10_000, pause: false })
  expect(decideRetry(step, 1, transient(30_000))).toEqual({ _tag: "Retry", tier: 2, delayMs: 60_000, pause: false })
})

test("exhausted attempts park with the reason; a permanent failure parks at once", () => {
  expect(decideRetry(step, 5, transient())).toEqual({ _tag: "Park", reason: "gave up after 5 attempts: 5xx" })
  expect(decideRetry(step, 1, new StepFailure({ retryable: false, reason: "400 bad email" }))).toEqual({ _tag: "Park", reason: "400 bad email" })
})

test("a wait longer than every tier (DAILY cap) pauses in the longest tier and is never parked for it", () => {
  const eightHours = 8 * 3600 * 1000
  for (const attempt of [1, 5, 50]) expect(decideRetry(step, attempt, transient(eightHours))).toEqual({ _tag: "Retry", tier: 3, delayMs: 600_000, pause: true })
})

test("waiting on another replica's lease is a pause: it never parks, whatever the attempt", () => {
  const waiting = new StepFailure({ retryable: true, pause: true, reason: "user:u-1 is being written by another replica" })
  expect(decideRetry(step, 1, waiting)).toEqual({ _tag: "Retry", tier: 0, delayMs: 1_000, pause: true })
  for (const attempt of [8, 50]) expect(decideRetry(step, attempt, waiting)).toEqual({ _tag: "Retry", tier: 3, delayMs: 600_000, pause: true })
})
