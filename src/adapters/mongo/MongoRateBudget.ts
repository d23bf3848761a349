// RateBudget shared by every replica through the store: BudgetPolicy's slots and daily cap,
// handed out as leases (see BudgetLeases) so replicas together never exceed them.
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import type { LaneName } from "../../application/Lane.ts"
import { BudgetUnavailable, type DayLease, type Observation, RateBudget, RateBudgetError, type SlotLease } from "../../application/ports/RateBudget.ts"
import { append, type Draft, highest, type LeaseDoc, mark, readGroup } from "./BudgetLeases.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, tryTtl } from "./Indexes.ts"
import { laneActivity } from "./LaneActivity.ts"
import * as MongoConnection from "./MongoConnection.ts"
import { describe } from "./MongoErrors.ts"
import { orDuplicate, withinDeadline } from "./MongoOp.ts"

const DAY_MS = 86_400_000
const run = <A>(f: () => Promise<A>) => withinDeadline(f, (error) => new RateBudgetError({ reason: new BudgetUnavailable({ message: describe(error) }) }))

const usageOf = (known: ReadonlyArray<LeaseDoc>) => ({
  used: known.reduce((sum, l) => sum + (l.tokens ?? 0), 0),
  backfill: known.reduce((sum, l) => sum + (l.backfill ?? 0), 0),
  pauseUntil: Math.max(0, ...known.map((l) => l.pauseUntil ?? 0))
})

/** What this process last knew of a group: where its next lease is decided from, no read needed. */
const memo = () => {
  const known = new Map<string, ReadonlyArray<LeaseDoc>>()
  return {
    get: (group: string) => known.get(group) ?? [],
    set: (group: string, docs: ReadonlyArray<LeaseDoc>) => {
      known.clear() // only the current slot and day matter
      known.set(group, docs)
    }
  }
}

export const make = Effect.fnUntraced(function* (config: BudgetPolicy.BudgetConfig, db: Db) {
  const plan = BudgetPolicy.plan(config)
  const resetMargin = BudgetPolicy.dailyResetMargin(config)
  const leases = db.collection<LeaseDoc>(collections.budget)
  yield* Effect.promise(() => leases.createIndex({ group: 1, j: -1 }))
  const untyped = db.collection(collections.budget)
  yield* expire(untyped, "expiresAt", yield* tryTtl(untyped, "expiresAt"), 10_000)
  const activity = laneActivity(leases)
  const slots = memo()
  const days = memo()
  let contended = false

  const appendToSlot = async (index: number, decide: (known: ReadonlyArray<LeaseDoc>) => Draft | undefined) => {
    const group = `slot:${index}`
    const known = slots.get(group)
    // A new slot while other replicas lease too: read first, as they may have taken it already.
    const out = await append(leases, group, known, (index + 1 + plan.slots) * plan.slotMs, decide, contended && known.length === 0)
    contended = out.contended
    slots.set(group, out.known)
    return out
  }

  /**
   * The day's key as the store counts it: the local day, then a suffix per restart (HubSpot's day
   * was reset before our midnight), each restart a fresh count. One read per daily lease.
   */
  const dayKey = async (now: number) => {
    const day = BudgetPolicy.localDay(config.timeZone, now)
    const restart = (await highest(leases, `restart:${day.key}`)) ?? 0
    return { ...day, key: restart === 0 ? day.key : `${day.key}~${restart}`, local: day.key, restart }
  }

  const lease = async (lane: LaneName, max: number, now: number, share?: number): Promise<SlotLease> => {
    const slot = BudgetPolicy.slotAt(plan, now)
    const elsewhere = activity.elsewhere(now)
    let wait = 0
    activity.note(lane, now)
    const { won } = await appendToSlot(slot.index, (known) => {
      const usage = usageOf(known)
      const tokens = Math.min(max, BudgetPolicy.roomFor(plan, lane, usage, now, share, elsewhere))
      wait = now < usage.pauseUntil ? usage.pauseUntil - now : BudgetPolicy.retryAt(plan, lane, usage, now, elsewhere) - now
      return now < usage.pauseUntil || tokens <= 0 ? undefined : { tokens, backfill: lane === "backfill" ? tokens : 0 }
    })
    return won === undefined ? { _tag: "Wait", retryAfterMs: wait } : { _tag: "Leased", tokens: won.tokens ?? 0, until: slot.endsAt }
  }

  const leaseDay = async (max: number, now: number): Promise<DayLease> => {
    const day = await dayKey(now)
    const group = `day:${day.key}`
    const floor = (await highest(leases, `floor:${day.key}`)) ?? 0
    const out = await append(leases, group, days.get(group), day.resetAt + DAY_MS, (known) => {
      const from = Math.max(floor, known.at(-1)?.top ?? 0)
      const tokens = Math.min(max, config.daily - from)
      return tokens <= 0 ? undefined : { tokens, top: from + tokens }
    })
    days.set(group, out.known)
    if (out.won === undefined) return { _tag: "DailyExhausted", resetAt: day.resetAt }
    return { _tag: "Leased", tokens: out.won.tokens ?? 0, top: out.won.top ?? 0 }
  }

  /** One unique insert per slot: on FerretDB as on MongoDB exactly one insert of an _id wins. */
  const claimSearch = async (index: number, now: number) =>
    (await orDuplicate(leases.insertOne({ _id: `search#${index}`, group: "search", j: index, expiresAt: new Date(now + 60_000) }))) !== "duplicate"

  /** A pause is a lease in every slot it covers: whoever leases there next reads it first. */
  const pause = async (until: number, now: number) => {
    for (let index = BudgetPolicy.slotAt(plan, now).index; index * plan.slotMs < until; index++) {
      await appendToSlot(index, (known) => (usageOf(known).pauseUntil >= until ? undefined : { pauseUntil: until }))
    }
  }

  const observe = async (o: Observation, now: number) => {
    if (o.pauseUntil !== undefined) await pause(o.pauseUntil, now)
    if (o.dayRestarted === true && o.dailyRemaining !== undefined) {
      // Restart only a count still well above HubSpot's: a replica that saw the reset after another
      // one restarted the count leaves it. Two at once insert the same marker: one restart.
      const seen = await dayKey(now)
      const counted = Math.max((await highest(leases, `floor:${seen.key}`)) ?? 0, (await readGroup(leases, `day:${seen.key}`)).at(-1)?.top ?? 0)
      if (counted - (config.daily - o.dailyRemaining) > resetMargin) await mark(leases, `restart:${seen.local}`, seen.restart + 1, seen.resetAt + DAY_MS)
    }
    const day = await dayKey(now)
    const floor = BudgetPolicy.floorOf(config, o)
    if (floor !== undefined && floor > 0) await mark(leases, `floor:${day.key}`, floor, day.resetAt + DAY_MS)
  }

  // Five reads, no write: for an operator's page, never on the request path.
  const usage = async (now: number) => {
    const slot = BudgetPolicy.slotAt(plan, now)
    const day = await dayKey(now)
    const [inSlot, inDay, floor, active] = await Promise.all([
      readGroup(leases, `slot:${slot.index}`),
      readGroup(leases, `day:${day.key}`),
      highest(leases, `floor:${day.key}`),
      activity.count(now)
    ])
    const used = usageOf(inSlot)
    return {
      slot: { startsAt: slot.endsAt - plan.slotMs, endsAt: slot.endsAt, capacity: plan.capacity, live: used.used - used.backfill, backfill: used.backfill },
      day: { key: day.key, resetAt: day.resetAt, cap: config.daily, leased: inDay.at(-1)?.top ?? 0, floor: floor ?? 0 },
      pauseUntil: used.pauseUntil > now ? used.pauseUntil : 0,
      active
    }
  }

  return RateBudget.of({
    usage: (now) => run(() => usage(now)),
    lease: (lane, max, now, share) => run(() => lease(lane, max, now, share)),
    leaseDay: (max, now) => run(() => leaseDay(max, now)),
    claimSearch: (index, now) => run(() => claimSearch(index, now)),
    observe: (observation, now) => run(() => observe(observation, now))
  })
})

/** On the process's shared connection. */
export const layerOnDb = (config: BudgetPolicy.BudgetConfig) =>
  Layer.effect(
    RateBudget,
    Effect.gen(function* () {
      return yield* make(config, yield* MongoConnection.MongoDb)
    })
  )

export const layer = (options: MongoConnection.MongoOptions, config: BudgetPolicy.BudgetConfig) =>
  layerOnDb(config).pipe(Layer.provide(MongoConnection.dbLayer(options)))
