// RateBudget shared by every replica through the store: BudgetPolicy's slots and daily cap,
// counted with unique tickets (see BudgetTickets) so replicas together never exceed them.
import { Effect, Layer } from "effect"
import type { Collection, Db } from "mongodb"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import type { LaneName } from "../../application/Lane.ts"
import { BudgetUnavailable, type Grant, type Observation, RateBudget, RateBudgetError } from "../../application/ports/RateBudget.ts"
import { highest, mark, release, type TicketDoc, takeFree, takeNext } from "./BudgetTickets.ts"
import { expire } from "./ExpirySweep.ts"
import { collections, tryTtl } from "./Indexes.ts"
import * as MongoConnection from "./MongoConnection.ts"
import { describe } from "./MongoErrors.ts"

const DAY_MS = 86_400_000
const run = <A>(f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (error) => new RateBudgetError({ reason: new BudgetUnavailable({ message: describe(error) }) }) })

const takeSlot = async (tickets: Collection<TicketDoc>, plan: BudgetPolicy.SlotPlan, lane: LaneName, n: number, now: number) => {
  const slot = BudgetPolicy.slotAt(plan, now)
  const expiresAt = slot.endsAt + plan.slotMs * plan.slots
  const lanes = lane === "backfill" ? await takeFree(tickets, `slotb:${slot.index}`, plan.backfillCapacity, n, expiresAt) : []
  const all = lanes.length === (lane === "backfill" ? n : 0) ? await takeFree(tickets, `slot:${slot.index}`, plan.capacity, n, expiresAt) : []
  if (all.length === n) return [...lanes, ...all]
  await release(tickets, [...lanes, ...all])
  return slot.endsAt
}

export const make = Effect.fnUntraced(function* (config: BudgetPolicy.BudgetConfig, db: Db) {
  const plan = BudgetPolicy.plan(config)
  const tickets = db.collection<TicketDoc>(collections.budget)
  yield* Effect.promise(() => tickets.createIndex({ group: 1, j: -1 }))
  const untyped = db.collection(collections.budget)
  yield* expire(untyped, "expiresAt", yield* tryTtl(untyped, "expiresAt"), 10_000)

  const take = async (lane: LaneName, n: number, now: number): Promise<Grant> => {
    const day = BudgetPolicy.localDay(config.timeZone, now)
    const [pause, floor, used] = await Promise.all([highest(tickets, "pause"), highest(tickets, `floor:${day.key}`), highest(tickets, `day:${day.key}`)])
    if (pause !== undefined && now < pause) return { _tag: "Wait", retryAfterMs: pause - now }
    if (Math.max(floor ?? 0, (used ?? -1) + 1) + n > config.daily) return { _tag: "DailyExhausted", resetAt: day.resetAt }
    const slot = await takeSlot(tickets, plan, lane, n, now)
    if (typeof slot === "number") return { _tag: "Wait", retryAfterMs: slot - now }
    const daily = await takeNext(tickets, `day:${day.key}`, floor ?? 0, config.daily, n, day.resetAt + DAY_MS)
    if (daily.length === n) return { _tag: "Granted" }
    await release(tickets, [...slot, ...daily])
    return { _tag: "DailyExhausted", resetAt: day.resetAt }
  }

  const observe = async (o: Observation, now: number) => {
    const day = BudgetPolicy.localDay(config.timeZone, now)
    if (o.pauseUntil !== undefined) await mark(tickets, "pause", o.pauseUntil, o.pauseUntil + DAY_MS)
    const floor = o.dailyExhausted === true ? config.daily : o.dailyRemaining === undefined ? undefined : config.daily - o.dailyRemaining
    if (floor !== undefined && floor > 0) await mark(tickets, `floor:${day.key}`, floor, day.resetAt + DAY_MS)
  }

  return RateBudget.of({
    tryTake: (lane, tokens, now) =>
      BudgetPolicy.takeable(plan, lane, tokens) ? run(() => take(lane, tokens, now)) : Effect.die(new RangeError(`cannot take ${tokens} ${lane} tokens`)),
    observe: (observation, now) => run(() => observe(observation, now))
  })
})

export const layer = (options: MongoConnection.MongoOptions, config: BudgetPolicy.BudgetConfig) =>
  Layer.effect(RateBudget, Effect.flatMap(MongoConnection.acquire(options), (db) => make(config, db)))
