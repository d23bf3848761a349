// Live always goes first on the HubSpot budget (issue 10 #4): BACKFILL_SHARE leaves live part of
// every slot, and within a process live spends what the backfill leased and has not spent.
import { expect, test } from "bun:test"
import { Deferred, Effect, Fiber, Layer } from "effect"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import { type BudgetConfig, plan } from "../../src/application/BudgetPolicy.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"
import { RateBudget } from "../../src/application/ports/RateBudget.ts"

// Slots of a minute: a call that has to wait for the next slot is plain to see.
const config: BudgetConfig = { burst: 100, intervalMs: 600_000, daily: 1_000_000, backfillShare: 1, timeZone: "UTC" }

test("BACKFILL_SHARE is capped at BACKFILL_MAX_SHARE like a job's share: live keeps part of every slot", () => {
  const p = plan(config)
  expect(p.backfillCapacity).toBeLessThan(p.capacity)
  expect(plan({ ...config, maxBackfillShare: 1 }).backfillCapacity).toBe(p.capacity)
})

test("a live call spends the tokens the backfill leased in this slot instead of waiting for the next slot", async () => {
  const granted = await Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      // The backfill leases its share of the slot and spends one token of it.
      yield* budget.take("backfill", 1)
      const p = plan(config)
      // Live leases what is left of the slot, then needs as much again as the backfill holds unspent.
      let live = 0
      for (let i = 0; i < p.capacity - 1; i++) {
        const ok = yield* budget.take("live", 1).pipe(
          Effect.timeoutOption(300),
          Effect.map((o) => o._tag === "Some")
        )
        if (!ok) break
        live++
      }
      return { live, wanted: p.capacity - 1 }
    }).pipe(Effect.provide(LocalBudget.layer(config).pipe(Layer.provide(InMemoryRateBudget.layer(config)))))
  )
  expect(granted.live).toBe(granted.wanted)
})

test("the backfill spends its slot's tokens spread over the slot, so live finds some unspent mid-slot", async () => {
  // Slots of ~1.1 s (100 per 10 s): the backfill's 9 tokens of a slot, taken as fast as it can.
  const paced: BudgetConfig = { ...config, intervalMs: 10_000 }
  const p = plan(paced)
  const out = await Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      // Start at a slot's start, so the whole slot is ahead.
      yield* Effect.sleep(p.slotMs - (Date.now() % p.slotMs) + 5)
      const start = Date.now()
      yield* budget.take("backfill", 1)
      // Live mid-slot: the backfill has leased its share but not spent it, so live takes one at once.
      yield* Effect.sleep(p.slotMs / 3)
      const liveAt = Date.now()
      yield* budget.take("live", 1)
      const liveWaited = Date.now() - liveAt
      for (let i = 1; i < p.backfillCapacity - 1; i++) yield* budget.take("backfill", 1)
      return { spreadMs: Date.now() - start, liveWaited }
    }).pipe(Effect.provide(LocalBudget.layer(paced).pipe(Layer.provide(InMemoryRateBudget.layer(paced)))))
  )
  expect(out.liveWaited).toBeLessThan(50)
  // Without pacing the backfill's tokens all went at once (a few ms); spread, the last is late in the slot.
  expect(out.spreadMs).toBeGreaterThan(p.slotMs * 0.6)
  expect(out.spreadMs).toBeLessThan(p.slotMs)
})

/**
 * Live sync active (a call in the slot before), the backfill taking tokens as fast as the budget
 * lets it from a slot's start: how long `calls` live calls at once, `at` (a fraction) into the
 * slot, waited, and how far the slot's end was.
 */
const liveLateInSlot = (at: number, calls: number) => {
  const paced: BudgetConfig = { ...config, intervalMs: 10_000 }
  const p = plan(paced)
  return Effect.runPromise(
    Effect.gen(function* () {
      const budget = yield* LocalBudget.LocalBudget
      yield* budget.take("live", 1)
      yield* Effect.sleep(p.slotMs - (Date.now() % p.slotMs) + 5)
      const backfill = yield* Effect.forkChild(Effect.forever(budget.take("backfill", 1)))
      yield* Effect.sleep(Math.floor(p.slotMs * at))
      const liveAt = Date.now()
      yield* Effect.all(
        Array.from({ length: calls }, () => budget.take("live", 1)),
        { concurrency: "unbounded" }
      )
      const liveWaited = Date.now() - liveAt
      yield* Fiber.interrupt(backfill)
      return { liveWaited, toSlotEnd: p.slotMs - (liveAt % p.slotMs) }
    }).pipe(Effect.provide(LocalBudget.layer(paced).pipe(Layer.provide(InMemoryRateBudget.layer(paced)))))
  )
}

test("while live sync is active, late in a slot the backfill at its full share still holds a live change's calls (three at once) unspent", async () => {
  // Just before the slot's tail: its objects, their associations and a write, at once.
  const out = await liveLateInSlot(0.8, 3)
  // Without the reserve the backfill had spent all but one or two of its tokens: live waited for the next slot.
  expect(out.liveWaited).toBeLessThan(50)
})

test("while live sync is active, the backfill still holds a token for live in the slot's last tenth", async () => {
  // Late in the slot's tail, after the tail's start.
  const out = await liveLateInSlot(0.94, 1)
  // Spent all at the tail's start, the reserve left live nothing here: it waited for the next slot.
  expect(out.toSlotEnd).toBeGreaterThan(30)
  expect(out.liveWaited).toBeLessThan(15)
})

test("a live call does not wait behind a backfill refill that is waiting on the store", async () => {
  const out = await Effect.runPromise(
    Effect.gen(function* () {
      const stalled = yield* Deferred.make<void>() // never completed: the store stays stalled
      const inner = yield* InMemoryRateBudget.make(config)
      // The store answers the backfill's slot lease only when the test lets it (a slow store under load).
      const slowForBackfill = RateBudget.of({
        ...inner,
        lease: (lane, max, now, share) =>
          lane === "backfill" ? Deferred.await(stalled).pipe(Effect.andThen(inner.lease(lane, max, now, share))) : inner.lease(lane, max, now, share)
      })
      return yield* Effect.gen(function* () {
        const budget = yield* LocalBudget.LocalBudget
        const backfill = yield* Effect.forkChild(budget.take("backfill", 1))
        yield* Effect.sleep(20) // the backfill's refill is now waiting on the store
        const live = yield* budget.take("live", 1).pipe(Effect.timeoutOption(500))
        // Live took what was free in the slot: the backfill would now wait for the next one.
        yield* Fiber.interrupt(backfill)
        return live._tag
      }).pipe(Effect.provide(LocalBudget.layer(config).pipe(Layer.provide(Layer.succeed(RateBudget, slowForBackfill)))))
    })
  )
  expect(out).toBe("Some")
})

test("a live call that finds the slot full at its start spends the backfill's lease landing a moment later, not the next slot", async () => {
  // Slots of 2.2 s, the test aligned to a slot's start: waiting for the next slot would time out.
  const short: BudgetConfig = { ...config, intervalMs: 20_000 }
  const p = plan(short)
  const out = await Effect.runPromise(
    Effect.gen(function* () {
      const inner = yield* InMemoryRateBudget.make(short)
      // Both lanes refill at a slot's start: the store has counted the backfill's lease, whose answer
      // is still on its way back (30 ms), when live asks for its second token.
      const lateAnswerToBackfill = RateBudget.of({
        ...inner,
        lease: (lane, max, now, share) => inner.lease(lane, max, now, share).pipe(Effect.tap(() => (lane === "backfill" ? Effect.sleep(30) : Effect.void)))
      })
      return yield* Effect.gen(function* () {
        const budget = yield* LocalBudget.LocalBudget
        yield* Effect.sleep(p.slotMs - (Date.now() % p.slotMs) + 5)
        const backfill = yield* Effect.forkChild(budget.take("backfill", 1))
        yield* Effect.sleep(5)
        // Live's own lease: what the backfill left of the slot, spent; then one more.
        for (let i = 0; i < p.capacity - p.backfillCapacity; i++) yield* budget.take("live", 1)
        const liveAt = Date.now()
        const last = yield* budget.take("live", 1).pipe(Effect.timeoutOption(1000))
        yield* Fiber.join(backfill)
        return { last: last._tag, waited: Date.now() - liveAt }
      }).pipe(Effect.provide(LocalBudget.layer(short).pipe(Layer.provide(Layer.succeed(RateBudget, lateAnswerToBackfill)))))
    })
  )
  // It slept until the next slot (here about 2 s away) before: the store had said the slot was full.
  expect(out.last).toBe("Some")
  expect(out.waited).toBeLessThan(200)
})
