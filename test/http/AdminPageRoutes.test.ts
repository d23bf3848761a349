// The admin page's backfill section and entity lookup on memory adapters (the Chromium test in
// test/e2e covers the parked-item path against the real services).
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { adminCookie } from "../../src/adapters/http/AdminAuth.ts"
import * as AdminPage from "../../src/adapters/http/AdminPage.tsx"
import * as InMemoryBackfillJobs from "../../src/adapters/memory/InMemoryBackfillJobs.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryMetrics from "../../src/adapters/memory/InMemoryMetrics.ts"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { startJob } from "../../src/application/BackfillCommands.ts"
import { BackfillJobs } from "../../src/application/ports/BackfillJobs.ts"
import { WebhookInbox } from "../../src/application/ports/WebhookInbox.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const TOKEN = "page-token"
const layer = Layer.mergeAll(
  memoryStorePorts(),
  InMemoryBackfillJobs.layer,
  InMemoryBus.layer,
  InMemoryWebhookInbox.layer,
  InMemoryRateBudget.layer({ burst: 100, intervalMs: 10_000, daily: 1000, backfillShare: 0.5, timeZone: "UTC" }),
  InMemoryMetrics.layer(InMemoryMetrics.make())
)
const runtime = ManagedRuntime.make(layer)
const run = <A, E>(effect: Effect.Effect<A, E, Layer.Success<typeof layer>>) => runtime.runPromise(effect)
let page: Hono

beforeAll(async () => {
  const context = await runtime.runPromise(Effect.context<Layer.Success<typeof layer>>())
  page = AdminPage.make({ token: TOKEN, run: Effect.runPromiseWith(context), health: async () => ({ store: true }) })
})
afterAll(() => runtime.dispose())

const cookie = { cookie: `${adminCookie}=${TOKEN}` }
const html = async (path = "/admin/ui") => (await page.request(path, { headers: cookie })).text()
const post = (path: string) => page.request(path, { method: "POST", headers: cookie })
const flash = (response: Response) => decodeURIComponent(response.headers.get("location") ?? "")
const stateOf = async (id: string) => (await run(Effect.flatMap(BackfillJobs, (j) => j.list))).find((j) => j.id === id)?.state

describe("admin page: backfill", () => {
  test("lists jobs with their progress and the buttons their state allows; the buttons pause, resume and cancel", async () => {
    const id = await run(startJob({ direction: "crm-to-commerce", types: ["contact"], pageSize: 100, dryRun: false, kind: "backfill" }))
    await run(Effect.flatMap(BackfillJobs, (j) => j.finish({ jobId: id, page: 0, cursor: "c", counts: { records: 100, parked: 2 }, finishedAt: Date.now() })))
    const body = await html()
    expect(body).toContain("<h2>Backfill</h2>")
    expect(body).toContain(id)
    expect(body).toContain("1 pages, 100 records")
    expect(body).toContain(", parked 2")
    expect(body).toContain(`/admin/ui/jobs/${id}/pause`)
    expect(body).not.toContain(`/admin/ui/jobs/${id}/resume`)

    const paused = await post(`/admin/ui/jobs/${id}/pause`)
    expect(paused.status).toBe(303)
    expect(flash(paused)).toContain(`Job ${id} is paused`)
    expect(await stateOf(id)).toBe("paused")
    expect(await html()).toContain(`/admin/ui/jobs/${id}/resume`)
    expect(flash(await post(`/admin/ui/jobs/${id}/pause`))).toContain("cannot pause")
    await post(`/admin/ui/jobs/${id}/resume`)
    expect(await stateOf(id)).toBe("running")
    await post(`/admin/ui/jobs/${id}/cancel`)
    expect(await stateOf(id)).toBe("cancelled")
    expect(await html()).not.toContain(`/admin/ui/jobs/${id}/`)
    expect(flash(await post(`/admin/ui/jobs/${id}/explode`))).toContain("Unknown job action")
    expect(flash(await post("/admin/ui/jobs/nope/pause"))).toContain("unknown")
    expect((await page.request(`/admin/ui/jobs/${id}/resume`, { method: "POST" })).headers.get("location")).toBe("/admin/ui/login")
    expect(await stateOf(id)).toBe("cancelled")
  })

  test("the entity lookup shows the events still in the outbox and says queues are not inspected", async () => {
    await run(
      Effect.flatMap(WebhookInbox, (i) =>
        i.store([{ key: "evt-77", objectType: "company", objectId: "77", kind: "propertyChange", propertyName: "domain", occurredAt: 1_700_000_000_000 }], 5)
      )
    )
    const body = await html("/admin/ui?type=company&id=77")
    expect(body).toContain("pending in the outbox")
    expect(body).toContain("propertyChange domain at 2023-11-14T22:13:20Z")
    expect(body).toContain("queue contents are not inspected")
  })
})
