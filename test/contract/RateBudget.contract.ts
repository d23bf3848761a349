// The RateBudget contract: the same assertions for the memory adapter and the Mongo adapter, on
// the port itself (explicit instants) and through LocalBudgets on one store (the real clock).
import { describe, expect, test } from "bun:test"
import { Clock, Context, Effect, Exit, Fiber, Layer } from "effect"
import * as BudgetPolicy from "../../src/application/BudgetPolicy.ts"
import type { LaneName } from "../../src/application/Lane.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"
import { RateBudget, type SlotLease } from "../../src/application/ports/RateBudget.ts"

export const budgetConfig: BudgetPolicy.BudgetConfig = { burst: 20, intervalMs: 10_000, daily: 1000, backfillShare: 0.5, timeZone: "Europe/Paris" }
const plan = BudgetPolicy.plan(budgetConfig)
/** The start of a slot, at noon in Paris (far from the daily reset). */
export const slotStart = (n = 0) => (Math.ceil(Date.UTC(2024, 5, 3, 10) / plan.slotMs) + n) * plan.slotMs

/** One shared store; each replica is a process's own connection to it. */
export interface BudgetStore {
  readonly replica: () => Layer.Layer<RateBudget, unknown>
}

export const leased = (leases: ReadonlyArray<SlotLease>) => leases.reduce((sum, l) => sum + (l._tag === "Leased" ? l.tokens : 0), 0)
export const leaseMany = (budget: RateBudget["Service"], lane: LaneName, count: number, now: number) =>
  Effect.all(
    Array.from({ length: count }, () => budget.lease(lane, 1, now)),
    { concurrency: "unbounded" }
  )

/** The most grants any rolling `intervalMs` holds. */
export const worstWindow = (times: ReadonlyArray<number>, intervalMs: number) =>
  Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + intervalMs).length))

/** Counts what reaches the shared store, per method. */
export const counting = (inner: Layer.Layer<RateBudget, unknown>) => {
  const calls = { lease: 0, leaseDay: 0, observe: 0, claimSearch: 0 }
  const layer = Layer.effect(
    RateBudget,
    Effect.map(Effect.service(RateBudget), (b) =>
      RateBudget.of({
        lease: (lane, max, now, share) =>
          Effect.andThen(
            Effect.sync(() => calls.lease++),
            b.lease(lane, max, now, share)
          ),
        leaseDay: (max, now) =>
          Effect.andThen(
            Effect.sync(() => calls.leaseDay++),
            b.leaseDay(max, now)
          ),
        observe: (o, now) =>
          Effect.andThen(
            Effect.sync(() => calls.observe++),
            b.observe(o, now)
          ),
        claimSearch: (index, now) =>
          Effect.andThen(
            Effect.sync(() => calls.claimSearch++),
            b.claimSearch(index, now)
          ),
        usage: b.usage
      })
    )
  ).pipe(Layer.provide(inner))
  return { calls, layer }
}

/** Builds a layer into the caller's scope: its connections live as long as the test's scope. */
const built = <I, S>(layer: Layer.Layer<I, unknown>, key: Context.Key<I, S>) => Effect.map(Layer.build(layer), (context) => Context.get(context, key))

const local = (config: BudgetPolicy.BudgetConfig, store: Layer.Layer<RateBudget, unknown>) => LocalBudget.layer(config).pipe(Layer.provide(store))

/** Two processes sharing one store: each with its own LocalBudget. */
const twoReplicas = <A>(
  store: BudgetStore,
  config: BudgetPolicy.BudgetConfig,
  f: (a: LocalBudget.LocalBudget["Service"], b: LocalBudget.LocalBudget["Service"]) => Effect.Effect<A, unknown>
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const a = yield* built(local(config, store.replica()), LocalBudget.LocalBudget)
      const b = yield* built(local(config, store.replica()), LocalBudget.LocalBudget)
      return yield* f(a, b)
    }).pipe(Effect.scoped)
  )

/** Asks for `grant` in a loop on `fibers` fibers until `ms` passed; returns each grant's instant. */
const hammerWith = (grant: Effect.Effect<void, unknown>, fibers: number, ms: number) =>
  Effect.gen(function* () {
    const end = (yield* Clock.currentTimeMillis) + ms
    const times: Array<number> = []
    const loop = Effect.gen(function* () {
      while (true) {
        yield* grant
        const now = yield* Clock.currentTimeMillis
        if (now >= end) return
        times.push(now)
      }
    })
    yield* Effect.all(
      Array.from({ length: fibers }, () => loop),
      { concurrency: "unbounded" }
    )
    return times
  })
/** Takes tokens of a lane, as `hammerWith`. */
const hammer = (budget: LocalBudget.LocalBudget["Service"], lane: LaneName, fibers: number, ms: number) => hammerWith(budget.take(lane, 1), fibers, ms)

/** Two replicas' own connections to one store, for the length of `f`. */
const onTwo = <A>(store: BudgetStore, f: (a: RateBudget["Service"], b: RateBudget["Service"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* built(store.replica(), RateBudget), yield* built(store.replica(), RateBudget))
    }).pipe(Effect.scoped)
  )

export const rateBudgetContract = (name: string, makeStore: (config: BudgetPolicy.BudgetConfig) => BudgetStore): void => {
  const run = <A>(f: (budget: RateBudget["Service"]) => Effect.Effect<A, unknown>, config = budgetConfig) =>
    Effect.runPromise(Effect.scoped(Effect.flatMap(built(makeStore(config).replica(), RateBudget), f)))

  describe(`RateBudget contract: ${name}`, () => {
    test("the plan keeps any rolling interval within the burst", () => {
      expect(plan).toEqual({ slots: 9, slotMs: 1112, capacity: 2, backfillCapacity: 1 })
      expect((plan.slots + 1) * plan.capacity).toBeLessThanOrEqual(budgetConfig.burst)
    })

    test("2 replicas × 50 concurrent leases get no more than a slot's capacity, and wait for the next slot", async () => {
      const store = makeStore(budgetConfig)
      const out = await onTwo(store, (a, b) =>
        Effect.gen(function* () {
          const [x, y] = yield* Effect.all([leaseMany(a, "live", 50, slotStart()), leaseMany(b, "live", 50, slotStart() + 10)], { concurrency: 2 })
          return { count: leased([...x, ...y]), wait: x.find((g) => g._tag === "Wait"), next: yield* b.lease("live", 1, slotStart(1)) }
        })
      )
      expect(out.count).toBe(plan.capacity)
      expect(out.wait).toEqual({ _tag: "Wait", retryAfterMs: plan.slotMs })
      expect(out.next).toEqual({ _tag: "Leased", tokens: 1, until: slotStart(2) })
    })

    test("usage reads what every replica leased in the slot and the day, and a shared pause", async () => {
      const store = makeStore(budgetConfig)
      const at = slotStart(3)
      const out = await onTwo(store, (a, b) =>
        Effect.gen(function* () {
          const before = yield* b.usage(at)
          yield* a.lease("backfill", 1, at)
          yield* a.lease("live", 1, at + 1)
          yield* a.leaseDay(30, at)
          yield* a.observe({ pauseUntil: at + 500 }, at + 2)
          return { before, after: yield* b.usage(at + 3) }
        })
      )
      expect(out.before.slot).toMatchObject({ live: 0, backfill: 0, capacity: plan.capacity, endsAt: slotStart(4) })
      expect(out.before.day).toMatchObject({ leased: 0, cap: budgetConfig.daily })
      expect(out.before.pauseUntil).toBe(0)
      expect(out.after.slot).toMatchObject({ live: 1, backfill: 1, startsAt: at })
      expect(out.after.day).toMatchObject({ leased: 30, key: "2024-06-03" })
      expect(out.after.day.resetAt).toBeGreaterThan(at)
      expect(out.after.pauseUntil).toBe(at + 500)
    })

    test("usage counts the replicas that leased for each lane in the last 10 s", async () => {
      const at = slotStart(5)
      const out = await onTwo(makeStore(budgetConfig), (a, b) =>
        Effect.gen(function* () {
          const before = yield* b.usage(at)
          yield* a.lease("live", 1, at)
          yield* b.lease("live", 1, at + 1)
          yield* b.lease("backfill", 1, at + 2)
          // A replica records its lanes beside its leases: the store has them a moment later.
          let seen = yield* a.usage(at + 3)
          for (let i = 0; i < 60 && (seen.active.live < 2 || seen.active.backfill < 1); i++) {
            yield* Effect.sleep(50)
            seen = yield* a.usage(at + 3)
          }
          return { before, seen, later: yield* a.usage(at + BudgetPolicy.LANE_ACTIVE_MS + 10) }
        })
      )
      expect(out.before.active).toEqual({ live: 0, backfill: 0 })
      expect(out.seen.active).toEqual({ live: 2, backfill: 1 })
      expect(out.later.active).toEqual({ live: 0, backfill: 0 })
    })

    test("one lease takes many tokens: live the whole slot", async () => {
      const out = await run((b) => Effect.all([b.lease("live", 100, slotStart()), b.lease("live", 100, slotStart() + 5)]))
      expect(out).toEqual([
        { _tag: "Leased", tokens: plan.capacity, until: slotStart(1) },
        { _tag: "Wait", retryAfterMs: plan.slotMs - 5 }
      ])
    })

    test("no rolling 10 s window ever sees more than the burst", async () => {
      const times = await run((b) =>
        Effect.gen(function* () {
          const grantedAt: Array<number> = []
          for (let t = slotStart(); t < slotStart() + 25_000; t += 250) {
            const lease = yield* b.lease(t % 1000 < 500 ? "live" : "backfill", 4, t)
            for (let i = 0; i < leased([lease]); i++) grantedAt.push(t)
          }
          return grantedAt
        })
      )
      expect(worstWindow(times, budgetConfig.intervalMs)).toBeLessThanOrEqual(budgetConfig.burst)
      expect(times.length).toBeGreaterThan(30)
    }, 30_000)

    test("the backfill leases only its share of a slot and waits for the tail; live still gets the rest", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          const backfill = yield* b.lease("backfill", 10, slotStart())
          const more = yield* b.lease("backfill", 10, slotStart() + 1)
          const live = yield* b.lease("live", 10, slotStart() + 2)
          return { backfill, more, live }
        })
      )
      const tail = Math.floor(plan.slotMs * 0.25)
      expect(out).toEqual({
        backfill: { _tag: "Leased", tokens: plan.backfillCapacity, until: slotStart(1) },
        more: { _tag: "Wait", retryAfterMs: plan.slotMs - tail - 1 },
        live: { _tag: "Leased", tokens: plan.capacity - plan.backfillCapacity, until: slotStart(1) }
      })
    })

    /**
     * 190 / 10 s (slots of 10 tokens), two replicas: slot after slot, `first` leases for its lane at
     * the slot's start and `second` 5 ms later, until `settled` held for two slots in a row (each
     * learns what the other leases through the store within a second or two). Each slot's grants.
     */
    const slotAfterSlot = (share: number, first: LaneName, second: LaneName, settled: (grants: readonly [number, number]) => boolean) => {
      const config = { ...budgetConfig, burst: 190, backfillShare: share }
      const wide = BudgetPolicy.plan(config)
      const at = (n: number) => (Math.ceil(Date.UTC(2024, 5, 3, 10) / wide.slotMs) + n) * wide.slotMs
      return onTwo(makeStore(config), (a, b) =>
        Effect.gen(function* () {
          const seen: Array<readonly [number, number]> = []
          for (let n = 0; n < 40; n++) {
            const x = leased([yield* a.lease(first, wide.capacity, at(n))])
            seen.push([x, leased([yield* b.lease(second, wide.capacity, at(n) + 5)])])
            if (n >= 2 && settled(seen.at(-1)!) && settled(seen.at(-2)!)) break
            yield* Effect.sleep(50)
          }
          return seen
        })
      )
    }
    const reserve = BudgetPolicy.LIVE_RESERVE

    test("live in one replica and the backfill in another split each slot: live keeps a live change's calls, the backfill its share less those", async () => {
      // At share 0.9 the backfill alone leases 9 of a slot's 10 and leaves live 1.
      const splits = await slotAfterSlot(0.9, "backfill", "live", ([, live]) => live === reserve)
      expect(splits[0]).toEqual([9, 1]) // nothing known of the other process yet
      expect(splits.at(-1)).toEqual([10 - reserve, reserve])
      for (const [backfill, live] of splits) expect(backfill + live).toBeLessThanOrEqual(10)
    }, 20_000)

    test("while the backfill runs in another replica, live leasing first at a slot's start leaves it its share", async () => {
      const splits = await slotAfterSlot(0.9, "live", "backfill", ([, backfill]) => backfill > 0)
      expect(splits[0]).toEqual([10, 0]) // live took the whole slot
      expect(splits.at(-1)).toEqual([reserve, 10 - reserve])
    }, 20_000)

    test("live in two replicas: a live lease takes half of what is left, so the other replica's live finds tokens in the same slot", async () => {
      const splits = await slotAfterSlot(0.5, "live", "live", ([, b]) => b > 0)
      expect(splits[0]).toEqual([10, 0]) // nothing known of the other yet: the whole slot
      expect(splits.at(-1)).toEqual([5, 3])
    }, 20_000)

    test("in a slot's last quarter the backfill may lease what live left unused", async () => {
      const tailAt = slotStart(1) - Math.floor(plan.slotMs * 0.25)
      const out = await run((b) => Effect.all([b.lease("backfill", 10, slotStart()), b.lease("backfill", 10, tailAt)]))
      expect(leased(out)).toBe(plan.capacity)
    })

    test("daily leases stop at the cap until local midnight in the account's zone", async () => {
      const reset = Date.UTC(2024, 5, 3, 22) // midnight in Paris (UTC+2 in June)
      const out = await run(
        (b) => Effect.all([b.leaseDay(3, slotStart()), b.leaseDay(3, slotStart(1)), b.leaseDay(3, slotStart(2)), b.leaseDay(3, reset + 1)]),
        { ...budgetConfig, daily: 5 }
      )
      expect(out).toEqual([
        { _tag: "Leased", tokens: 3, top: 3 },
        { _tag: "Leased", tokens: 2, top: 5 },
        { _tag: "DailyExhausted", resetAt: reset },
        { _tag: "Leased", tokens: 3, top: 3 }
      ])
    })

    test("HubSpot's DAILY 429 and a lower daily-remaining header take precedence", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          yield* b.observe({ dailyRemaining: 2 }, slotStart())
          const left = yield* b.leaseDay(10, slotStart(1))
          yield* b.observe({ dailyRemaining: 500 }, slotStart(2)) // higher than we know: ignored
          return { left, stillSpent: yield* b.leaseDay(1, slotStart(3)) }
        })
      )
      expect(out).toEqual({ left: { _tag: "Leased", tokens: 2, top: 1000 }, stillSpent: { _tag: "DailyExhausted", resetAt: Date.UTC(2024, 5, 3, 22) } })
      const exhausted = await run((b) => Effect.andThen(b.observe({ dailyExhausted: true }, slotStart()), b.leaseDay(1, slotStart(1))))
      expect(exhausted._tag).toBe("DailyExhausted")
    })

    test("a job's own share bounds the backfill lane; jobs at different shares together take at most the largest", async () => {
      const config = { ...budgetConfig, burst: 190 } // 10 a slot: share 0.2 → 2, 0.5 → 5, 0.8 → 8
      const wide = BudgetPolicy.plan(config)
      const at = (Math.ceil(Date.UTC(2024, 5, 3, 10) / wide.slotMs) + 1) * wide.slotMs // a slot's start, far from its tail
      const out = await run(
        (b) =>
          Effect.gen(function* () {
            const small = yield* b.lease("backfill", 10, at, 0.2)
            const large = yield* b.lease("backfill", 10, at + 1, 0.8)
            const smallAgain = yield* b.lease("backfill", 10, at + 2, 0.2)
            const byDefault = yield* b.lease("backfill", 10, at + 3)
            const live = yield* b.lease("live", 10, at + 4)
            return [small, large, smallAgain, byDefault, live].map((l) => (l._tag === "Leased" ? l.tokens : 0))
          }),
        config
      )
      expect(out).toEqual([2, 6, 0, 0, 2])
    })

    test("a restart of the day (HubSpot's count fell) counts afresh from HubSpot's count; a late second report changes nothing", async () => {
      const out = await run((b) =>
        Effect.gen(function* () {
          yield* b.observe({ dailyExhausted: true }, slotStart())
          const spent = yield* b.leaseDay(10, slotStart(1))
          yield* b.observe({ dayRestarted: true, dailyRemaining: 990 }, slotStart(2))
          const fresh = yield* b.leaseDay(10, slotStart(3))
          // Another replica saw the reset a little later: the count is HubSpot's already.
          yield* b.observe({ dayRestarted: true, dailyRemaining: 985 }, slotStart(4))
          const next = yield* b.leaseDay(5, slotStart(5))
          return { spent: spent._tag, fresh, next, usage: (yield* b.usage(slotStart(6))).day }
        })
      )
      expect(out.spent).toBe("DailyExhausted")
      expect(out.fresh).toEqual({ _tag: "Leased", tokens: 10, top: 20 })
      expect(out.next).toEqual({ _tag: "Leased", tokens: 5, top: 25 })
      expect(out.usage).toMatchObject({ leased: 25, floor: 15, cap: 1000 })
    })

    test("a search slot has exactly one winner across replicas, whoever asks first", async () => {
      const store = makeStore(budgetConfig)
      const out = await onTwo(store, (a, b) =>
        Effect.gen(function* () {
          const now = slotStart()
          const race = yield* Effect.all(
            Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).claimSearch(7, now)),
            { concurrency: "unbounded" }
          )
          return { race, next: yield* b.claimSearch(8, now), again: yield* a.claimSearch(8, now) }
        })
      )
      expect(out.race.filter((won) => won)).toHaveLength(1)
      expect(out.next).toBe(true)
      expect(out.again).toBe(false)
    })

    test("pauseUntil blocks both lanes, on every replica, until then", async () => {
      const store = makeStore(budgetConfig)
      const out = await onTwo(store, (a, b) =>
        Effect.gen(function* () {
          yield* a.observe({ pauseUntil: slotStart() + 3000 }, slotStart())
          yield* a.observe({ pauseUntil: slotStart() + 1000 }, slotStart()) // an earlier pause does not shorten it
          const paused = [yield* b.lease("live", 1, slotStart() + 100), yield* b.lease("backfill", 1, slotStart(1) + 100)]
          return { paused, after: yield* b.lease("live", 1, slotStart() + 3000) }
        })
      )
      expect(out.paused).toEqual([
        { _tag: "Wait", retryAfterMs: 2900 },
        { _tag: "Wait", retryAfterMs: 3000 - plan.slotMs - 100 }
      ])
      expect(out.after._tag).toBe("Leased")
    })
  })

  describe(`LocalBudget over ${name}: two replicas on one store, the real clock`, () => {
    // 36 grants in 3 s at most: slots of 334 ms holding 4 (a contended lease on FerretDB ≈ 50 ms).
    const fast: BudgetPolicy.BudgetConfig = { burst: 40, intervalMs: 3000, daily: 1_000_000, backfillShare: 0.5, timeZone: "UTC" }

    test("never more than the burst in any rolling interval, whatever the lanes", async () => {
      const times = await twoReplicas(makeStore(fast), fast, (a, b) =>
        Effect.map(
          Effect.all([hammer(a, "live", 6, 4000), hammer(b, "live", 6, 4000), hammer(a, "backfill", 3, 4000), hammer(b, "backfill", 3, 4000)], {
            concurrency: "unbounded"
          }),
          (all) => all.flat()
        )
      )
      expect(worstWindow(times, fast.intervalMs)).toBeLessThanOrEqual(fast.burst)
      expect(times.length).toBeGreaterThan(fast.burst / 2)
    }, 20_000)

    test("live is served within a slot or two under a backfill flood from the other replica", async () => {
      const out = await twoReplicas(makeStore(fast), fast, (a, b) =>
        Effect.gen(function* () {
          const flood = yield* Effect.forkChild(hammer(a, "backfill", 8, 3500))
          yield* Effect.sleep(400)
          const started = yield* Clock.currentTimeMillis
          for (let i = 0; i < 10; i++) yield* b.take("live", 1)
          const liveMs = (yield* Clock.currentTimeMillis) - started
          return { liveMs, backfill: (yield* Fiber.join(flood)).length }
        })
      )
      const slotMs = BudgetPolicy.plan(fast).slotMs
      expect(out.liveMs).toBeLessThan(8 * slotMs) // 10 tokens at ≥ 2 a slot, plus a tail's wait
      expect(out.backfill).toBeGreaterThan(10)
    }, 20_000)

    test("live in one replica gets a live change's three calls at once within a slot while the other replica's backfill takes its full share", async () => {
      // 190 / 10 s: slots of 556 ms holding 10; at share 0.9 the backfill alone would leave live 1.
      const wide: BudgetPolicy.BudgetConfig = { burst: 190, intervalMs: 10_000, daily: 1_000_000, backfillShare: 0.9, timeZone: "UTC" }
      const slotMs = BudgetPolicy.plan(wide).slotMs
      const out = await twoReplicas(makeStore(wide), wide, (a, b) =>
        Effect.gen(function* () {
          const flood = yield* Effect.forkChild(hammer(a, "backfill", 8, 7000))
          // The replicas learn of each other's lanes through the store within a second or two.
          yield* b.take("live", 1)
          yield* Effect.sleep(2500)
          const waits: Array<number> = []
          for (let round = 0; round < 6; round++) {
            const started = yield* Clock.currentTimeMillis
            yield* Effect.all([b.take("live", 1), b.take("live", 1), b.take("live", 1)], { concurrency: "unbounded" })
            waits.push((yield* Clock.currentTimeMillis) - started)
            yield* Effect.sleep(slotMs)
          }
          return { waits, backfill: (yield* Fiber.join(flood)).length }
        })
      )
      // Before: live leased one token of a slot before its tail, so three calls spanned two slots or more.
      expect(Math.max(...out.waits)).toBeLessThan(slotMs * 0.8)
      expect(out.backfill).toBeGreaterThan(60) // the backfill still gets most of every slot
    }, 20_000)

    test("N takes cost at most N/10 requests to the shared store", async () => {
      const store = makeStore({ ...fast, burst: 400 })
      const counted = counting(store.replica())
      const n = 200
      await Effect.runPromise(
        Effect.gen(function* () {
          const budget = yield* LocalBudget.LocalBudget
          yield* Effect.all(
            Array.from({ length: n }, () => budget.take("live", 1)),
            { concurrency: 20 }
          )
        }).pipe(Effect.provide(local({ ...fast, burst: 400 }, counted.layer)))
      )
      expect(counted.calls.lease + counted.calls.leaseDay + counted.calls.observe).toBeLessThanOrEqual(n / 10)
    }, 20_000)

    test("search: two replicas together start fewer than HubSpot's per-second cap in any second, and take no burst token", async () => {
      const searchConfig = { ...fast, burst: 2, daily: 1_000_000, searchPerSecond: 5 }
      const store = makeStore(searchConfig)
      const counted = counting(store.replica())
      const out = await Effect.runPromise(
        Effect.gen(function* () {
          const a = yield* built(local(searchConfig, counted.layer), LocalBudget.LocalBudget)
          const b = yield* built(local(searchConfig, store.replica()), LocalBudget.LocalBudget)
          const [x, y] = yield* Effect.all([hammerWith(a.takeSearch("backfill"), 3, 2500), hammerWith(b.takeSearch("backfill"), 3, 2500)], {
            concurrency: 2
          })
          return { times: [...x, ...y] }
        }).pipe(Effect.scoped)
      )
      const sorted = [...out.times].sort((p, q) => p - q)
      expect(worstWindow(sorted, 1000)).toBeLessThanOrEqual(5)
      expect(sorted.length).toBeGreaterThanOrEqual(7) // ~4 a second for 2.5 s, between both
      for (let i = 5; i < sorted.length; i++) expect((sorted[i] as number) - (sorted[i - 5] as number)).toBeGreaterThan(1000)
      expect(counted.calls.lease).toBe(0) // a search spends no slot of the burst window
      expect(counted.calls.leaseDay).toBeGreaterThan(0) // but counts against the day
    }, 20_000)

    test("a pause seen by one replica holds the other's calls", async () => {
      const waited = await twoReplicas(makeStore(fast), fast, (a, b) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          yield* a.observe({ pauseUntil: now + 400 })
          yield* b.take("live", 1)
          return (yield* Clock.currentTimeMillis) - now
        })
      )
      expect(waited).toBeGreaterThanOrEqual(390)
    })

    test("the daily cap: spent tokens, a low remaining header and a DAILY 429 reach every replica", async () => {
      const failure = (e: Effect.Effect<unknown, LocalBudget.BudgetError>) => Effect.map(Effect.exit(e), (exit) => (Exit.isFailure(exit) ? "spent" : "granted"))
      const spent = await twoReplicas(makeStore({ ...fast, daily: 5 }), { ...fast, daily: 5 }, (a, b) =>
        Effect.gen(function* () {
          const first = yield* Effect.forEach([1, 2, 3], () => failure(a.take("live", 1)))
          const second = yield* Effect.forEach([1, 2, 3], () => failure(b.take("live", 1)))
          const rest = yield* Effect.forEach([1, 2, 3], () => failure(a.take("live", 1)))
          const error = yield* Effect.flip(b.take("live", 1))
          return { granted: [...first, ...second, ...rest], error }
        })
      )
      expect(spent.granted.filter((g) => g === "granted")).toHaveLength(5)
      expect(spent.error.reason).toMatchObject({ _tag: "DailyBudgetSpent", resetAt: BudgetPolicy.localDay("UTC", Date.now()).resetAt })

      const remaining = await twoReplicas(makeStore(fast), fast, (a, b) =>
        Effect.gen(function* () {
          yield* a.observe({ dailyRemaining: 2 })
          return yield* Effect.forEach([1, 2, 3], () => failure(b.take("live", 1)))
        })
      )
      expect(remaining).toEqual(["granted", "granted", "spent"])

      const daily429 = await twoReplicas(makeStore(fast), fast, (a, b) =>
        Effect.gen(function* () {
          yield* a.observe({ dailyExhausted: true })
          return [yield* failure(a.take("live", 1)), yield* failure(b.take("backfill", 1))]
        })
      )
      expect(daily429).toEqual(["spent", "spent"])
    })
  })
}
