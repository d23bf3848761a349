// Every call spends the shared budget for its lane and reports HubSpot's limits back to it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Fiber, Layer } from "effect"
import { nextCursor } from "../../src/adapters/hubspot/ModifiedBetween.ts"
import { Lane } from "../../src/application/Lane.ts"
import { Crm, type CrmError } from "../../src/application/ports/Crm.ts"
import type { ContactId } from "../../src/domain/Ids.ts"
import { sdkClient } from "../hubspot/SimClient.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { adapterLayer, budgetConfig, failureWith, localBudget, recordingBudget, runWith } from "./AdapterSupport.ts"

let sim: HubSpotSimulator
beforeAll(async () => {
  sim = await startHubSpotSimulator({ port: 0, dailyLimit: 1000 })
})
afterAll(() => sim.stop())

const read = Effect.flatMap(Crm, (crm) => crm.read("contact", ["1" as ContactId]))
const search = Effect.flatMap(Crm, (crm) => crm.modifiedBetween("contact", { from: 0, to: 1 }))

describe("the adapter and the rate budget", () => {
  test("X-HubSpot-RateLimit-Daily-Remaining reaches the shared budget once it is news", async () => {
    const { log, layer } = recordingBudget()
    await runWith(adapterLayer(sim, {}, layer))(Effect.repeat(read, { times: 2 }))
    // HubSpot's count (the simulator's cap is 1000) is far above ours: the first answer is news
    // for the other replicas; the next ones fall within the daily lease it implies.
    const remaining = log.observed.map((o) => o.dailyRemaining)
    expect(remaining).toHaveLength(1)
    expect(remaining[0]).toBeLessThan(1000)
  })

  test("tokens are leased for the current lane", async () => {
    // The simulator's cap: against a larger one its Daily-Remaining reads as a day nearly spent by
    // other apps, past the backfill's reserve (this failed now and then).
    const { log, layer } = recordingBudget({ ...budgetConfig, daily: 1000 })
    const run = runWith(adapterLayer(sim, {}, layer))
    await run(read)
    await run(Effect.provideService(read, Lane, "backfill"))
    expect(log.takes).toEqual(["live", "backfill"])
  })

  test("a spent daily budget probes HubSpot once, then fails as quota exhausted until the next probe without an HTTP call", async () => {
    const { layer } = recordingBudget({ ...budgetConfig, daily: 1 })
    const before = sim.requestLog().length
    const error = await failureWith(adapterLayer(sim, {}, layer))(Effect.repeat(read, { times: 3 }))
    expect(error.reason._tag).toBe("CrmQuotaExhausted")
    // Until the next probe (60 s by default), not our midnight.
    expect(error.reason._tag === "CrmQuotaExhausted" && error.reason.retryAfterMs).toBeGreaterThan(50_000)
    expect(error.reason._tag === "CrmQuotaExhausted" && error.reason.retryAfterMs).toBeLessThanOrEqual(60_000)
    // The one read the day allowed, and one probe: the answer did not show a reset.
    const calls = sim.requestLog().slice(before)
    expect(calls).toHaveLength(2)
    expect(calls[1]?.query).toContain("limit=1")
  })

  test("a search or a page read on a spent day probes HubSpot once too, then waits for the next probe", async () => {
    // A page read races a search slot against a token: the search's refusal (the day is spent)
    // came first and made no probe, so the job rested 0 ms and tried again, with no HubSpot call.
    const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, CrmError, Crm>]> = [
      ["search", search],
      [
        "page read",
        Effect.provideService(
          Effect.flatMap(Crm, (crm) => crm.list("company", { limit: 100 })),
          Lane,
          "backfill"
        )
      ]
    ]
    for (const [name, call] of calls) {
      const { layer } = recordingBudget({ ...budgetConfig, daily: 1, backfillDailyReserve: 0 })
      const before = sim.requestLog().length
      const error = await failureWith(adapterLayer(sim, {}, layer))(Effect.repeat(call, { times: 3 }))
      expect([name, error.reason._tag]).toEqual([name, "CrmQuotaExhausted"])
      expect([name, error.reason._tag === "CrmQuotaExhausted" && error.reason.retryAfterMs > 50_000]).toEqual([name, true])
      // The one call the day allowed, and one probe (the answer did not show a reset).
      const sent = sim.requestLog().slice(before)
      expect([name, sent.length, sent.filter((r) => r.method === "GET" && r.query.includes("limit=1")).length]).toEqual([name, 2, 1])
    }
  })

  test("a probe outlives the call that started it: interrupting that call still lets the probe's answer restart the day", async () => {
    // A batch's calls run together and one failing interrupts the others, so the call that starts
    // a probe is often interrupted while the probe is in flight (chaos: a healed DAILY cap went
    // unnoticed for the next 60 s). The next probe is an interval away, so this one must land.
    const config = { ...budgetConfig, daily: 20, dailyProbeMs: 60_000 }
    const probes = () => sim.requestLog().filter((r) => r.method === "GET" && r.query.includes("limit=1")).length
    const out = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const crm = Layer.succeedContext(yield* Layer.build(adapterLayer(sim, { dailyProbeMs: 60_000 }, localBudget(config))))
          const readHere = Effect.provide(read, crm)
          // Our own count spends the day (20 calls: a read is two, its objects and their associations
          // side by side), far below HubSpot's: the probe will show a reset.
          yield* Effect.repeat(readHere, { times: 9 })
          const before = probes()
          sim.setFaults({ latencyMs: 1200 })
          const caller = yield* Effect.forkChild(readHere)
          // The caller reaches the probe within milliseconds (all local), then waits for its answer.
          yield* Effect.sleep(500)
          yield* Fiber.interrupt(caller)
          // The simulator logs the probe once it has answered; its answer then reaches the budget.
          for (let waited = 0; probes() === before && waited < 5_000; waited += 50) yield* Effect.sleep(50)
          yield* Effect.sleep(200)
          sim.setFaults({ latencyMs: 0 })
          const next = yield* Effect.exit(readHere)
          return { next: next._tag, probes: probes() - before }
        })
      )
    )
    expect(out).toEqual({ next: "Success", probes: 1 })
  })

  test("a Wait from the budget delays the call instead of failing it", async () => {
    const { layer } = recordingBudget({ ...budgetConfig, burst: 2, intervalMs: 300 })
    const started = performance.now()
    await runWith(adapterLayer(sim, {}, layer))(Effect.repeat(read, { times: 2 }))
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
  })

  test("Daily-Remaining 0 stops the next call locally; HubSpot's DAILY 429 marks the budget exhausted", async () => {
    const tiny = await startHubSpotSimulator({ port: 0, dailyLimit: 1 })
    const first = await failureWith(adapterLayer(tiny, {}, recordingBudget().layer))(Effect.repeat(read, { times: 1 }))
    expect(first.reason._tag).toBe("CrmQuotaExhausted")
    // The batch read (207), then one probe of the daily count, which HubSpot refuses with DAILY.
    expect(tiny.requestLog().map((r) => r.status)).toEqual([207, 429])
    // Another replica's budget that has not heard yet: HubSpot itself says DAILY.
    const { log, layer } = recordingBudget()
    const second = await failureWith(adapterLayer(tiny, {}, layer))(read)
    await tiny.stop()
    expect(second.reason._tag).toBe("CrmQuotaExhausted")
    expect(log.observed.some((o) => o.dailyExhausted === true)).toBe(true)
  })

  test("search is paced to HubSpot's 5 per second", async () => {
    sim.reset()
    const started = performance.now()
    await runWith(adapterLayer(sim))(Effect.repeat(search, { times: 6 }))
    expect(performance.now() - started).toBeGreaterThanOrEqual(1150)
    expect(sim.requestLog().filter((r) => r.status === 429)).toEqual([])
  })
})

describe("the backfill's paging by id", () => {
  test("each step reads 200 through search or 100 through the list API, whichever of a search slot and a burst token comes first", async () => {
    sim.reset()
    const client = sdkClient(sim.url)
    const ids: Array<string> = []
    for (let b = 0; b < 10; b++) {
      const created = await client.crm.companies.batchApi.create({
        inputs: Array.from({ length: 100 }, (_, i) => ({ properties: { name: `Paged ${b * 100 + i}` }, associations: [] }))
      })
      ids.push(...created.results.map((r) => r.id))
    }
    const before = sim.requestLog().length
    // A small burst for the lane: list calls wait for tokens, and search slots start meanwhile.
    const { layer } = recordingBudget({ ...budgetConfig, burst: 20, intervalMs: 4000, daily: 1000 })
    const list = Effect.flatMap(Crm, (crm) => crm.list("company", { limit: 1000 }))
    const page = await runWith(adapterLayer(sim, {}, layer))(Effect.provideService(list, Lane, "backfill"))
    const calls = sim.requestLog().slice(before)
    const searches = calls.filter((r) => r.path === "/crm/v3/objects/companies/search")
    const lists = calls.filter((r) => r.method === "GET" && r.path === "/crm/v3/objects/companies")
    expect(page.records.map((r) => String(r.id))).toEqual(ids.toSorted((a, b) => Number(a) - Number(b)))
    expect(searches.length).toBeGreaterThan(0)
    expect(searches.map((r) => (r.body as { limit: number }).limit)).toContain(200)
    // Every record came from one call or the other, none twice: 1 000 records, 10 list calls' worth.
    expect(lists.length).toBeLessThan(10)
    expect(calls.filter((r) => r.status === 429)).toEqual([])
  }, 20_000)
})

describe("the backfill's paging by id, with burst tokens to spare", () => {
  test("a step waits for a search slot that comes before a list call would have answered: search carries most records", async () => {
    sim.reset()
    const client = sdkClient(sim.url)
    for (let b = 0; b < 20; b++)
      await client.crm.companies.batchApi.create({
        inputs: Array.from({ length: 100 }, (_, i) => ({ properties: { name: `Spare ${b * 100 + i}` }, associations: [] }))
      })
    // Every answer takes 100 ms: a search slot (every 250 ms) that starts within that beats a list call.
    sim.setFaults({ latencyMs: 100 })
    const before = sim.requestLog().length
    const { layer } = recordingBudget({ ...budgetConfig, burst: 1900, backfillShare: 0.9, daily: 1000 })
    const list = Effect.flatMap(Crm, (crm) => crm.list("company", { limit: 2000 }))
    const page = await runWith(adapterLayer(sim, {}, layer))(Effect.provideService(list, Lane, "backfill"))
    sim.setFaults({ latencyMs: 0 })
    const calls = sim.requestLog().slice(before)
    const searched = calls.filter((r) => r.path === "/crm/v3/objects/companies/search").length * 200
    expect(page.records).toHaveLength(2000)
    // Raced from the same instant, a token at hand always won: search carried none of them.
    expect(searched).toBeGreaterThanOrEqual(1200)
    expect(calls.filter((r) => r.status === 429)).toEqual([])
  }, 30_000)
})

describe("modifiedBetween cursor", () => {
  const objects = (stamps: Array<number>) => stamps.map((t, i) => ({ id: String(i + 1), properties: { hs_lastmodifieddate: String(t) } }))

  test("pages with HubSpot's after while under the 10 000 cap", () => {
    expect(nextCursor({ from: 5, after: 0, skip: [] }, objects([5, 6]), "200", 200)).toEqual({ from: 5, after: 200, skip: [] })
    expect(nextCursor({ from: 5, after: 0, skip: [] }, objects([5, 6]), undefined, 200)).toBeUndefined()
  })

  test("at the cap, restarts at the last timestamp and skips the ids already seen there", () => {
    expect(nextCursor({ from: 5, after: 9800, skip: [] }, objects([7, 9, 9]), "10000", 200)).toEqual({ from: 9, after: 0, skip: ["2", "3"] })
    expect(nextCursor({ from: 9, after: 9800, skip: ["a"] }, objects([9, 9]), "10000", 200)).toEqual({ from: 9, after: 0, skip: ["a", "1", "2"] })
  })
})
