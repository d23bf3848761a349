// Port errors become step failures: retryability kept, any wait the reason names becomes the floor.
import { expect, test } from "bun:test"
import { CrmError, CrmQuotaExhausted, CrmRejected, CrmThrottled, CrmTransient, CrmUnauthorized } from "../../src/application/ports/Crm.ts"
import { fromError, fromRejection, StepFailure, toStepFailure } from "../../src/application/StepFailure.ts"

test("every CRM reason that implies a wait hands its retryAfterMs to the retry floor", () => {
  const failures = [
    new CrmThrottled({ retryAfterMs: 10_000 }),
    new CrmQuotaExhausted({ retryAfterMs: 3_600_000, resetAt: 5_000_000 }),
    new CrmTransient({ message: "locked", status: 423, retryAfterMs: 2_000 })
  ].map((reason) => fromError(new CrmError({ reason })))
  expect(failures.map((f) => [f.retryable, f.retryAfterMs])).toEqual([
    [true, 10_000],
    [true, 3_600_000],
    [true, 2_000]
  ])
})

test("reasons without a wait give no floor; unauthorized and rejected are never retried", () => {
  const failures = [
    new CrmTransient({ message: "reset" }),
    new CrmUnauthorized({ message: "401: token" }),
    new CrmRejected({ message: "bad", status: 400 })
  ].map((reason) => fromError(new CrmError({ reason })))
  expect(failures.map((f) => [f.retryable, "retryAfterMs" in f])).toEqual([
    [true, false],
    [false, false],
    [false, false]
  ])
  expect(failures[2]?.reason).toContain("bad")
})

test("a per-item rejection keeps its retryability and says what was refused", () => {
  const unanswered = fromRejection("user 7", { retryable: true, message: "no answer" })
  const refused = fromRejection("user 8", { retryable: false, message: "invalid email" })
  expect([unanswered.retryable, refused.retryable]).toEqual([true, false])
  expect(refused.reason).toContain("user 8")
  expect(refused.reason).toContain("invalid email")
})

test("a handler's own StepFailure passes through unchanged", () => {
  const own = new StepFailure({ retryable: true, reason: "not yet", retryAfterMs: 5 })
  expect(toStepFailure(own)).toBe(own)
})
