// HubSpot's daily cap, end to end through `bun start` on real RabbitMQ and the Mongo-wire store:
// a backfill that spends the simulator's small cap rests (status says why), probes HubSpot every
// second, and completes once the simulator's day is reset — hours before our own midnight —
// with every company in the shop once and every shop id written back.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { type Effect, Layer, ManagedRuntime } from "effect"
import { program } from "../../src/adapters/cli/BackfillCli.ts"
import * as MongoBackfillJobs from "../../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../../src/adapters/mongo/MongoConnection.ts"
import { jobStatus, startJob } from "../../src/application/BackfillCommands.ts"
import type { BackfillJobs } from "../../src/application/ports/BackfillJobs.ts"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"

// Fewer calls than the job needs (60 companies in pages of 10: 6 lists, the count, the write-backs).
const CAP = 8
const COMPANIES = 60

describeMongo("end to end: a backfill under HubSpot's daily cap", (mongoUrl) => {
  if (skipAmqp) {
    test.skipIf(true)("needs AMQP_URL", () => {})
    return
  }
  let stack: Stack
  let runtime: ManagedRuntime.ManagedRuntime<BackfillJobs, unknown>
  const run = <A, E>(effect: Effect.Effect<A, E, BackfillJobs>) => runtime.runPromise(effect)
  beforeAll(async () => {
    stack = await startStack(mongoUrl, {
      env: {
        RECONCILE_INTERVAL: "0",
        BACKFILL_IDLE_MS: "200",
        HUBSPOT_DAILY_LIMIT: String(CAP),
        BACKFILL_DAILY_RESERVE: "0",
        DAILY_PROBE_INTERVAL: "1"
      },
      hubspotDailyLimit: CAP
    })
    stack.hubspot.webhooks?.stop()
    runtime = ManagedRuntime.make(MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: mongoUrl, dbName: stack.dbName }))))
  }, 60_000)
  afterAll(async () => {
    await runtime?.dispose()
    if (stack !== undefined) await stack.stop()
  }, 60_000)

  const status = async (id: string) => {
    const out: Array<string> = []
    await program({ run, write: (l) => out.push(l), isTty: false, budget: { burst: 190, intervalMs: 10_000, share: 0.5 }, pollMs: 100 })
      .configureOutput({ writeErr: () => {}, writeOut: () => {} })
      .parseAsync(["status", id], { from: "user" })
    return out[0] ?? ""
  }
  const businesses = () => stack.commerce.state().business.filter((b) => !b.deleted)

  test("the job rests when the day is spent, saying why, and completes after the simulator's daily reset, each record once", async () => {
    for (let i = 0; i < COMPANIES; i++) stack.hubspot.ui.create("companies", { name: `Capped ${i}`, domain: `capped${i}.example.com` })
    const id = await run(startJob({ direction: "crm-to-commerce", types: ["company"], pageSize: 10, dryRun: false, kind: "backfill" }))

    const resting = await eventually(
      async () => {
        const view = await run(jobStatus(id))
        expect(view.job.state).toBe("running")
        expect(view.job.waitUntil).toBeGreaterThan(Date.now() - 1000)
        expect(view.job.note).toMatch(/daily API cap spent/)
        return view
      },
      30_000,
      100
    )
    expect(resting.counts["records"] ?? 0).toBeLessThan(COMPANIES)
    // Each rest lasts until the next probe (a second here), then the page is tried again: status
    // says "resting" while one lasts.
    const line = await eventually(
      async () => {
        const l = await status(id)
        expect(l).toContain("running (resting until")
        return l
      },
      10_000,
      50
    )
    expect(line).toContain("daily API cap spent")
    // Resting: no page finishes, and HubSpot answers only DAILY 429s (the probes, one a second).
    const since = stack.hubspot.requestLog().length
    const pagesBefore = (await run(jobStatus(id))).pages
    await Bun.sleep(2500)
    const during = stack.hubspot.requestLog().slice(since)
    expect(during.length).toBeGreaterThan(0)
    expect(during.every((r) => r.status === 429)).toBe(true)
    expect(during.length).toBeLessThanOrEqual(10)
    expect((await run(jobStatus(id))).pages).toBe(pagesBefore)
    expect(businesses().length).toBeLessThan(COMPANIES)

    // HubSpot's day ends (our midnight is hours away): a probe finds it, and the job goes on.
    stack.hubspot.resetDay()
    await Bun.sleep(50)
    // The simulator's count restarts at 0 and this job needs more than one day's cap: reset again when it rests.
    const view = await eventually(
      async () => {
        const v = await run(jobStatus(id))
        if (v.job.state !== "done" && v.job.waitUntil !== undefined && v.job.waitUntil > Date.now()) stack.hubspot.resetDay()
        expect(v.job.state).toBe("done")
        return v
      },
      45_000,
      500
    )
    expect(view.counts).toMatchObject({ records: COMPANIES, synced: COMPANIES, parked: 0 })
    expect(view.total).toBe(COMPANIES)
    // The shop applies its messages on its own time: each company arrives, once.
    await eventually(() => expect(businesses()).toHaveLength(COMPANIES), 20_000, 200)
    expect(new Set(businesses().map((b) => b.record["crmId"])).size).toBe(COMPANIES)
    // The shop's ids went back to HubSpot, each company once. Those calls meet the cap too (the
    // fewer records a batch holds on a busy machine, the more calls): a day passes whenever HubSpot said DAILY.
    let seen = stack.hubspot.requestLog().length
    await eventually(
      () => {
        const log = stack.hubspot.requestLog()
        if (log.slice(seen).some((r) => r.status === 429)) stack.hubspot.resetDay()
        seen = log.length
        expect(stack.hubspot.state.objectsOf("companies").filter((c) => (c.properties["ecommerce_business_id"] ?? "") !== "")).toHaveLength(COMPANIES)
      },
      20_000,
      500
    )
    expect(await stack.parked()).toEqual([])
  }, 60_000)
})
