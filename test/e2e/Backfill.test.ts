// Backfill and reconcile through `bun start` on real RabbitMQ and the Mongo-wire store, with both
// simulators. HubSpot's webhooks are switched off, so only the backfill or reconcile can sync.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { type Effect, Layer, ManagedRuntime } from "effect"
import * as MongoBackfillJobs from "../../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../../src/adapters/mongo/MongoConnection.ts"
import { jobStatus, listJobs, startJob } from "../../src/application/BackfillCommands.ts"
import type { BackfillJobs, JobDefinition } from "../../src/application/ports/BackfillJobs.ts"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"
import { pageCursorOf } from "../support/hubspot/PageReads.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"
import { type RunningService, startService } from "../support/ServiceProcess.ts"

const companies = (def: Partial<JobDefinition> = {}): JobDefinition => ({
  direction: "crm-to-commerce",
  types: ["company"],
  pageSize: 100,
  dryRun: false,
  kind: "backfill",
  ...def
})

const jobsOf = (mongoUrl: string, stack: Stack) => {
  const runtime = ManagedRuntime.make(MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: mongoUrl, dbName: stack.dbName }))))
  return { run: <A, E>(effect: Effect.Effect<A, E, BackfillJobs>) => runtime.runPromise(effect), dispose: () => runtime.dispose() }
}

const hubspotWrites = (stack: Stack) => stack.hubspot.requestLog().filter((r) => r.method !== "GET" && !/\/search|\/batch\/read|\/properties/.test(r.path))

describeMongo("end to end: backfill", (mongoUrl) => {
  if (skipAmqp) {
    test.skipIf(true)("needs AMQP_URL", () => {})
    return
  }
  let stack: Stack
  let jobs: ReturnType<typeof jobsOf>
  const extra: Array<RunningService> = []
  beforeAll(async () => {
    stack = await startStack(mongoUrl, {
      env: { RECONCILE_INTERVAL: "0", BACKFILL_LEASE_MS: "3000", BACKFILL_IDLE_MS: "200", BACKFILL_HANDOFF_MS: "500" },
      hubspotFaults: { latencyMs: 15 }
    })
    stack.hubspot.webhooks?.stop()
    jobs = jobsOf(mongoUrl, stack)
  }, 60_000)
  afterAll(async () => {
    await jobs?.dispose()
    for (const s of extra) await s.stop()
    if (stack !== undefined) await stack.stop()
  }, 60_000)

  let created = 0
  const createCompanies = (n: number, name: string) => {
    for (let i = 0; i < n; i++) stack.hubspot.ui.create("companies", { name: `${name} ${i}`, domain: `${name.toLowerCase()}${i}.example.com` })
    created += n
  }
  const live = () => stack.commerce.state().business.filter((e) => !e.deleted)
  const done = (id: string, timeoutMs: number) =>
    eventually(
      async () => {
        const view = await jobs.run(jobStatus(id))
        expect(view.job.state).toBe("done")
        return view
      },
      timeoutMs,
      200
    )

  test("a dry run reads and validates every company, counts what it would create and writes nothing on either side", async () => {
    createCompanies(50, "Dry")
    const before = hubspotWrites(stack).length
    const id = await jobs.run(startJob(companies({ dryRun: true, pageSize: 20 })))
    const view = await done(id, 30_000)
    expect(view.counts).toMatchObject({ records: 50, "would create": 50 })
    expect(view.pages).toBe(3)
    await Bun.sleep(500)
    expect(hubspotWrites(stack).length).toBe(before)
    expect(live()).toHaveLength(0)
    // It did read, a page's 20 records a call: a list call or a search by id, each returning whole
    // records (properties and all), so no batch read follows.
    const reads = stack.hubspot.requestLog().filter((r) => pageCursorOf(r, "companies", 20) !== undefined)
    expect(reads.length).toBeGreaterThanOrEqual(3)
    expect(reads.every((r) => r.method === "POST" || r.query.includes("properties="))).toBe(true)
    expect(stack.hubspot.requestLog().filter((r) => r.path.includes("/companies/batch/read"))).toHaveLength(0)
  }, 60_000)

  test("SIGKILL mid-job: another replica takes the job over from its last finished page, redoing at most one", async () => {
    createCompanies(250, "Kill")
    const total = created
    const id = await jobs.run(startJob(companies({ pageSize: 10 })))
    await eventually(async () => expect((await jobs.run(jobStatus(id))).pages).toBeGreaterThanOrEqual(4), 30_000, 50)
    stack.service.process.kill("SIGKILL")
    await stack.service.process.exited
    const killedAt = (await jobs.run(jobStatus(id))).pages
    expect(killedAt).toBeLessThan(total / 10)
    extra.push(await startService(stack.serviceEnv, 45_000))
    const view = await done(id, 90_000)
    expect(view.pages).toBe(total / 10)
    expect(view.counts).toMatchObject({ records: total, synced: total, parked: 0 })
    // Each page's read (this job's page size: a list call or a search by id, each from the page's
    // id cursor), by cursor: every page read, at most two of them twice: the page the kill cut
    // short, and the next, which the killed replica may have listed ahead (a read; its records are
    // written only by the page that runs). A last page read by search is confirmed by one list call past its end.
    const byCursor = new Map<string, number>()
    for (const r of stack.hubspot.requestLog().filter((r) => r.status === 200)) {
      const cursor = pageCursorOf(r, "companies", 10)
      if (cursor !== undefined) byCursor.set(cursor, (byCursor.get(cursor) ?? 0) + 1)
    }
    expect(byCursor.size).toBeGreaterThanOrEqual(total / 10)
    expect(byCursor.size).toBeLessThanOrEqual(total / 10 + 1)
    expect([...byCursor.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(2)
    await eventually(() => expect(new Set(live().map((b) => b.record["crmId"])).size).toBe(total), 30_000, 200)
    // Redone writes: at most the one page the kill cut short (10 companies) reached the shop twice.
    const sent = new Map<string, number>()
    for (const { envelope } of stack.commerce.received())
      if (envelope.type === "tocommerce.business.upsert") {
        const crmId = String((envelope.payload as { crmId?: unknown }).crmId)
        sent.set(crmId, (sent.get(crmId) ?? 0) + 1)
      }
    expect([...sent.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(10)
  }, 150_000)

  test("two service processes split one job's pages and together stay within HubSpot's limits (0 × 429)", async () => {
    // A second replica beside the first (the webhook port is the first one's).
    extra.push(await startService({ ...stack.serviceEnv, PORT: "0" }, 45_000))
    const replicas = extra.slice(-2)
    expect(replicas).toHaveLength(2)
    createCompanies(200, "Pair")
    const since = stack.hubspot.requestLog().length
    const id = await jobs.run(startJob(companies({ pageSize: 25 })))
    const view = await done(id, 120_000)
    expect(view.counts).toMatchObject({ records: created, synced: created })
    const pagesOf = () =>
      replicas.map((r) => r.logs.filter((l) => l["message"] === "backfill page finished" && (l["annotations"] as Record<string, unknown>)["job"] === id).length)
    // A page is logged once the store has it finished: the last line may reach us after the job is done.
    const pagesBy = await eventually(
      () => {
        const by = pagesOf()
        expect(by[0]! + by[1]!).toBe(created / 25)
        return by
      },
      5_000,
      100
    )
    expect(Math.min(...pagesBy)).toBeGreaterThan(0)
    expect(
      stack.hubspot
        .requestLog()
        .slice(since)
        .filter((r) => r.status === 429)
    ).toHaveLength(0)
  }, 150_000)
})

describeMongo("end to end: reconcile", (mongoUrl) => {
  if (skipAmqp) {
    test.skipIf(true)("needs AMQP_URL", () => {})
    return
  }
  let stack: Stack
  let jobs: ReturnType<typeof jobsOf>
  beforeAll(async () => {
    stack = await startStack(mongoUrl, { env: { RECONCILE_INTERVAL: "2 seconds", BACKFILL_IDLE_MS: "200" } })
    jobs = jobsOf(mongoUrl, stack)
  }, 60_000)
  afterAll(async () => {
    await jobs?.dispose()
    if (stack !== undefined) await stack.stop()
  }, 60_000)

  test("reconcile picks up a change whose webhook was dropped", async () => {
    const company = stack.hubspot.ui.create("companies", { name: "Webhooked", domain: "webhooked.example.com" })
    const business = await eventually(() => {
      const found = stack.commerce.state().business.find((b) => b.record["crmId"] === company.id)
      expect(found).toBeDefined()
      return found!
    })
    expect(business.record["name"]).toBe("Webhooked")
    stack.hubspot.webhooks?.stop()
    stack.hubspot.ui.update("companies", company.id, { name: "Renamed, webhook dropped" })
    await eventually(
      () => expect(stack.commerce.state().business.find((b) => b.id === business.id)?.record["name"]).toBe("Renamed, webhook dropped"),
      20_000,
      200
    )
    const runs = (await jobs.run(listJobs())).filter((v) => v.job.definition.kind === "reconcile")
    expect(runs.length).toBeGreaterThan(0)
  }, 60_000)
})
