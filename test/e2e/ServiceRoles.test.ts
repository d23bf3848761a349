// SERVICE_ROLE through `bun start` on real RabbitMQ and the Mongo-wire store, with both simulators:
// a live replica (the steps' live partitions) and a backfill replica (the jobs' pages and the
// steps' backfill partitions) side by side split the work by lane, so a backfill runs outside the
// process live sync runs in.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { type Effect, Layer, ManagedRuntime } from "effect"
import * as MongoBackfillJobs from "../../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../../src/adapters/mongo/MongoConnection.ts"
import { jobStatus, startJob } from "../../src/application/BackfillCommands.ts"
import type { BackfillJobs } from "../../src/application/ports/BackfillJobs.ts"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"
import { type RunningService, startService } from "../support/ServiceProcess.ts"

/** A counter's sum over its label sets in a /metrics scrape (0 when it has none). */
const counted = async (service: RunningService, name: string, labels = ""): Promise<number> => {
  const text = await (await fetch(new URL("/metrics", service.url))).text()
  return text
    .split("\n")
    .filter((line) => line.startsWith(`crm_sync_${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0)
}

const pagesFinishedBy = (service: RunningService, job: string) =>
  service.logs.filter((l) => l["message"] === "backfill page finished" && (l["annotations"] as Record<string, unknown>)["job"] === job).length

describeMongo("end to end: a live replica and a backfill replica", (mongoUrl) => {
  if (skipAmqp) {
    test.skipIf(true)("needs AMQP_URL", () => {})
    return
  }
  let stack: Stack
  let runtime: ManagedRuntime.ManagedRuntime<BackfillJobs, unknown>
  const run = <A, E>(effect: Effect.Effect<A, E, BackfillJobs>) => runtime.runPromise(effect)
  let backfiller: RunningService | undefined
  beforeAll(async () => {
    stack = await startStack(mongoUrl, {
      env: { SERVICE_ROLE: "live", REPLICA_ID: "live-1", RECONCILE_INTERVAL: "0", BACKFILL_IDLE_MS: "200", BACKFILL_LEASE_MS: "3000" }
    })
    runtime = ManagedRuntime.make(MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer({ url: mongoUrl, dbName: stack.dbName }))))
  }, 60_000)
  afterAll(async () => {
    await runtime?.dispose()
    await backfiller?.stop()
    if (stack !== undefined) await stack.stop()
  }, 60_000)

  test("the live replica runs no page and no backfill batch; the backfill replica runs every page and its batches, and no live batch", async () => {
    // Only the backfill can sync these: HubSpot sends no webhook for them.
    stack.hubspot.webhooks?.stop()
    for (let i = 0; i < 50; i++) stack.hubspot.ui.create("companies", { name: `Split ${i}`, domain: `split${i}.example.com` })
    stack.hubspot.webhooks?.resume()
    const id = await run(startJob({ direction: "crm-to-commerce", types: ["company"], pageSize: 20, dryRun: false, kind: "backfill" }))
    // With the live replica alone, the job waits: no page is run.
    await Bun.sleep(3000)
    expect((await run(jobStatus(id))).pages).toBe(0)
    expect(pagesFinishedBy(stack.service, id)).toBe(0)

    backfiller = await startService({ ...stack.serviceEnv, PORT: "0", SERVICE_ROLE: "backfill", REPLICA_ID: "backfill-1" }, 45_000)
    // A live change meanwhile, through HubSpot's webhook.
    const company = stack.hubspot.ui.create("companies", { name: "Live beside", domain: "live-beside.example.com" })
    const view = await eventually(
      async () => {
        const status = await run(jobStatus(id))
        expect(status.job.state).toBe("done")
        return status
      },
      60_000,
      200
    )
    // 50 companies, and the live one when the last page listed it, 20 a page.
    expect(view.pages).toBe(3)
    expect(view.counts["synced"]).toBeGreaterThanOrEqual(50)
    await eventually(() => expect(pagesFinishedBy(backfiller!, id)).toBe(3), 5_000, 100)
    expect(pagesFinishedBy(stack.service, id)).toBe(0)
    // The live change went to the shop and the shop's id came back onto the HubSpot record.
    await eventually(() => expect(stack.hubspot.state.find("companies", company.id)?.properties["ecommerce_business_id"]).toBeTruthy(), 30_000, 200)
    const businesses = stack.commerce.state().business.filter((b) => !b.deleted)
    expect(businesses.filter((b) => String(b.record["name"]).startsWith("Split "))).toHaveLength(50)

    // Who did what, from each replica's own metrics: the backfill replica spent backfill tokens
    // and handled the backfill lane's batches (the shop's ids for the pages' records) and no live
    // one; the live replica handled the live change and no backfill batch.
    expect(await counted(backfiller, "budget_tokens_total", 'lane="backfill"')).toBeGreaterThan(0)
    expect(await counted(stack.service, "budget_tokens_total", 'lane="backfill"')).toBe(0)
    await eventually(async () => expect(await counted(backfiller!, "handler_duration_seconds_count", 'lane="backfill"')).toBeGreaterThan(0), 10_000, 200)
    expect(await counted(backfiller, "handler_duration_seconds_count", 'lane="live"')).toBe(0)
    expect(await counted(stack.service, "handler_duration_seconds_count", 'lane="live"')).toBeGreaterThan(0)
    expect(await counted(stack.service, "handler_duration_seconds_count", 'lane="backfill"')).toBe(0)
    const ready = async (service: RunningService) => (await (await fetch(new URL("/readyz", service.url))).json()) as Record<string, unknown>
    const all = [0, 1, 2, 3, 4, 5, 6, 7]
    expect(await ready(backfiller)).toMatchObject({ replica: "backfill-1", role: "backfill", partitions: [], backfillPartitions: all })
    expect(await ready(stack.service)).toMatchObject({ replica: "live-1", role: "live", partitions: all, backfillPartitions: [] })
  }, 120_000)
})
