// The admin API on memory adapters: token, parked items (find, show, replay, discard), quarantined
// payloads, entity status, queues, budget, backfill jobs; and no 5xx whatever the query parameters say.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime, Ref, Scope } from "effect"
import fc from "fast-check"
import { Hono } from "hono"
import { bearer } from "../../src/adapters/http/AdminAuth.ts"
import * as AdminRoutes from "../../src/adapters/http/AdminRoutes.ts"
import * as InMemoryBackfillJobs from "../../src/adapters/memory/InMemoryBackfillJobs.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryMetrics from "../../src/adapters/memory/InMemoryMetrics.ts"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { BackfillJobs } from "../../src/application/ports/BackfillJobs.ts"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { type ParkedItem, ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { RateBudget } from "../../src/application/ports/RateBudget.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import { WebhookInbox } from "../../src/application/ports/WebhookInbox.ts"
import type { Envelope, Step } from "../../src/application/Step.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const TOKEN = "s3cret-admin-token"
const step: Step = { name: "sync-contact", bindings: ["none"], retryTiersMs: [1000], maxAttempts: 3, deliveryLimit: 3, prefetch: 10 }
const metrics = InMemoryMetrics.make()
const layer = Layer.mergeAll(
  memoryStorePorts(),
  InMemoryBackfillJobs.layer,
  InMemoryBus.layer,
  InMemoryWebhookInbox.layer,
  InMemoryRateBudget.layer({ burst: 100, intervalMs: 10_000, daily: 250_000, backfillShare: 0.5, timeZone: "UTC" }),
  InMemoryMetrics.layer(metrics)
)
const runtime = ManagedRuntime.make(layer)
const run = <A, E>(effect: Effect.Effect<A, E, Layer.Success<typeof layer>>) => runtime.runPromise(effect)
const budget = { burst: 100, intervalMs: 10_000, daily: 250_000, backfillShare: 0.5, timeZone: "UTC" }

let app: Hono
let replayed: Ref.Ref<ReadonlyArray<Envelope>>
let scope: Scope.Closeable

beforeAll(async () => {
  const context = await runtime.runPromise(Effect.context<Layer.Success<typeof layer>>())
  const routes = AdminRoutes.make({ run: Effect.runPromiseWith(context), budget, stored: Effect.void })
  app = new Hono().use("/admin/*", bearer(TOKEN)).route("/", routes)
  replayed = await run(Ref.make<ReadonlyArray<Envelope>>([]))
  scope = await run(Scope.make())
  // The step's consumer sees what is replayed onto its queue.
  await run(
    Effect.flatMap(MessageBus, (bus) =>
      bus.consume(step, (batch) =>
        Ref.update(replayed, (all) => [...all, ...batch.map((d) => d.envelope)]).pipe(Effect.as(batch.map(() => ({ _tag: "Ack" as const }))))
      )
    ).pipe(Scope.provide(scope))
  )
})
afterAll(async () => {
  await run(Scope.close(scope, Effect.void as never))
  await runtime.dispose()
})

const auth = { authorization: `Bearer ${TOKEN}` }
const get = (path: string, headers: Record<string, string> = auth) => app.request(path, { headers })
const post = (path: string, body?: unknown) =>
  app.request(path, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body)
  })

const parked = (id: string, over: Partial<ParkedItem> = {}): ParkedItem => ({
  id: `sync-contact:${id}`,
  step: "sync-contact",
  message: { id, type: "crm.contact.changed", payload: { objectId: id, email: `${id}@example.com` }, occurredAt: 1, lane: "live", attempt: 3 },
  reason: "CRM rejected: 400 INVALID_EMAIL",
  attempts: 3,
  firstFailedAt: 100,
  lastFailedAt: 200,
  replayedAt: undefined,
  ...over
})
const park = (items: ReadonlyArray<ParkedItem>) => run(Effect.flatMap(ParkedItems, (p) => p.park(items)))
const eventually = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 100 && !(await check()); i++) await Bun.sleep(10)
}

describe("admin token", () => {
  test("401 without the token or with a wrong one, and the token never appears in the answer", async () => {
    for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await get("/admin/parked", headers)
      expect(response.status).toBe(401)
      expect(await response.text()).not.toContain(TOKEN)
    }
    expect((await get("/admin/parked")).status).toBe(200)
  })
})

describe("parked items", () => {
  test("lists with filters (entity, step, reason text, time range) and pages", async () => {
    await park([
      parked("101", { lastFailedAt: 1000 }),
      parked("102", { lastFailedAt: 2000, reason: "gave up after 5 attempts: 503" }),
      parked("103", { lastFailedAt: 3000, step: "sync-company", id: "sync-company:103" }),
      parked("1010", { lastFailedAt: 4000 })
    ])
    const ids = async (query: string) => ((await (await get(`/admin/parked?${query}`)).json()) as { items: Array<{ id: string }> }).items.map((i) => i.id)
    expect(await ids("step=sync-contact&from=1000&to=5000")).toEqual(["sync-contact:101", "sync-contact:102", "sync-contact:1010"])
    expect(await ids("entity=101")).toEqual(["sync-contact:101"])
    expect(await ids("reason=invalid_EMAIL&from=0&to=5000")).toEqual(["sync-contact:101", "sync-company:103", "sync-contact:1010"])
    expect(await ids("from=2000&to=3001")).toEqual(["sync-contact:102", "sync-company:103"])
    const page = (await (await get("/admin/parked?from=1000&to=5000&limit=2&offset=1")).json()) as { total: number; items: Array<{ id: string }> }
    expect(page.total).toBe(4)
    expect(page.items.map((i) => i.id)).toEqual(["sync-contact:102", "sync-company:103"])
  })

  test("shows one with its payload, reason and attempts; an unknown id is 404", async () => {
    await park([parked("201")])
    const item = (await (await get("/admin/parked/sync-contact:201")).json()) as ParkedItem
    expect(item).toMatchObject({ reason: "CRM rejected: 400 INVALID_EMAIL", attempts: 3, message: { payload: { objectId: "201" } } })
    expect((await get("/admin/parked/sync-contact:nope")).status).toBe(404)
    expect((await get("/admin/parked/nocolon")).status).toBe(404)
  })

  test("replays one back to its step with attempt 1, marks it replayed, and a second replay changes nothing", async () => {
    await park([parked("301")])
    const first = await post("/admin/parked/sync-contact:301/replay")
    expect(await first.json()).toEqual({ done: ["sync-contact:301"], skipped: [], unknown: [] })
    await eventually(async () => (await run(Ref.get(replayed))).some((e) => e.id === "301"))
    const seen = (await run(Ref.get(replayed))).filter((e) => e.id === "301")
    expect(seen).toHaveLength(1)
    expect(seen[0]?.attempt).toBe(1)
    expect(await (await post("/admin/parked/sync-contact:301/replay")).json()).toEqual({ done: [], skipped: ["sync-contact:301"], unknown: [] })
    const item = (await (await get("/admin/parked/sync-contact:301")).json()) as ParkedItem
    expect(item.replayedAt).toBeGreaterThan(0)
    expect((await get("/admin/parked?entity=301")).ok).toBe(true)
    expect(((await (await get("/admin/parked?entity=301")).json()) as { total: number }).total).toBe(0)
    expect(await Effect.runPromise(metrics.total("messages_replayed_total", { step: "sync-contact" }))).toBeGreaterThanOrEqual(1)
    expect((await post("/admin/parked/sync-contact:unknown/replay")).status).toBe(404)
  })

  test("replays all matching a filter, or a list of ids; an empty filter is refused", async () => {
    await park([parked("401", { reason: "needs fix 401" }), parked("402", { reason: "needs fix 402" }), parked("403")])
    const all = (await (await post("/admin/parked/replay", { reason: "needs fix" })).json()) as { done: Array<string> }
    expect(all.done.sort()).toEqual(["sync-contact:401", "sync-contact:402"])
    expect(await (await post("/admin/parked/replay", { ids: ["sync-contact:403", "sync-contact:401", "x:y"] })).json()).toEqual({
      done: ["sync-contact:403"],
      skipped: ["sync-contact:401"],
      unknown: ["x:y"]
    })
    expect((await post("/admin/parked/replay", {})).status).toBe(400)
    expect((await post("/admin/parked/replay", "{not json")).status).toBe(400)
  })

  test("discards with a note, kept on the item; the note is required", async () => {
    await park([parked("501")])
    expect((await post("/admin/parked/sync-contact:501/discard", {})).status).toBe(400)
    expect(await (await post("/admin/parked/sync-contact:501/discard", { note: "duplicate contact, merged by hand" })).json()).toEqual({
      done: ["sync-contact:501"],
      skipped: [],
      unknown: []
    })
    const item = (await (await get("/admin/parked/sync-contact:501")).json()) as ParkedItem
    expect(item.discarded?.note).toBe("duplicate contact, merged by hand")
    expect(await Effect.runPromise(metrics.total("messages_discarded_total"))).toBe(1)
  })
})

describe("quarantined webhook payloads", () => {
  test("listed, shown, replayed when they decode now (stored and released), refused with 422 when they still do not", async () => {
    const event = {
      eventId: 9,
      subscriptionId: 7,
      portalId: 42,
      appId: 9,
      occurredAt: 1_700_000_000_000,
      subscriptionType: "contact.propertyChange",
      attemptNumber: 0,
      objectId: 77,
      propertyName: "email",
      propertyValue: "a@b.c",
      changeSource: "CRM_UI"
    }
    await run(
      Effect.flatMap(WebhookInbox, (i) =>
        i.quarantine([
          { body: JSON.stringify(event), reason: "old decoder refused it", receivedAt: 5 },
          { body: "{not json", reason: "body is not JSON", receivedAt: 6 }
        ])
      )
    )
    const list = (await (await get("/admin/webhooks/quarantined")).json()) as { total: number; items: Array<{ id: string; body: string }> }
    expect(list.total).toBe(2)
    const [good, bad] = list.items
    expect((await (await get(`/admin/webhooks/quarantined/${good!.id}`)).json()) as object).toMatchObject({ reason: "old decoder refused it" })
    expect(await (await post(`/admin/webhooks/quarantined/${good!.id}/replay`)).json()).toEqual({ stored: 1, duplicates: 0, ignored: 0 })
    expect((await run(Effect.flatMap(WebhookInbox, (i) => i.backlog))).pending).toBe(1)
    expect((await post(`/admin/webhooks/quarantined/${bad!.id}/replay`)).status).toBe(422)
    expect((await get(`/admin/webhooks/quarantined/${good!.id}`)).status).toBe(404)
    expect((await post(`/admin/webhooks/quarantined/${bad!.id}/discard`)).status).toBe(200)
    expect(((await (await get("/admin/webhooks/quarantined")).json()) as { total: number }).total).toBe(0)
  })
})

describe("entity status, queues, budget", () => {
  test("an entity by CRM id or by commerce id: snapshot versions, links both ways, parked messages and outbox events for it", async () => {
    await run(
      Effect.gen(function* () {
        yield* (yield* IdLinks).link([{ entity: "user", crmId: "9001", commerceId: "u-9001" }])
        yield* (yield* Snapshots).saveCommerce([{ entity: "user", id: "u-9001", version: 42, record: { email: "x@y.z" } }])
        // Pending in the outbox: one for this contact, one for another.
        yield* (yield* WebhookInbox).store(
          [9001, 9002].map((n) => ({ key: `evt-${n}`, objectType: "contact" as const, objectId: String(n), kind: "propertyChange" as const, occurredAt: 5 })),
          6
        )
      })
    )
    await park([parked("9001")])
    for (const path of ["/admin/entities/contact/9001", "/admin/entities/user/u-9001"]) {
      const status = (await (await get(path)).json()) as Record<string, unknown>
      expect(status).toMatchObject({
        entity: "user",
        crmType: "contact",
        crm: [{ id: "9001", deleted: false }],
        commerce: [{ id: "u-9001", version: 42, deleted: false }],
        links: [{ entity: "user", crmId: "9001", commerceId: "u-9001" }]
      })
      expect((status.parked as Array<{ id: string }>).map((p) => p.id)).toEqual(["sync-contact:9001"])
      expect((status.pending as Array<{ change: { key: string } }>).map((e) => e.change.key)).toEqual(["evt-9001"])
      expect(status.queues).toContain("not inspected")
    }
    expect((await get("/admin/entities/planet/1")).status).toBe(400)
  })

  test("queues: every step queue and tier with depth and consumers, parking, the outbox backlog", async () => {
    type Status = { queues: Array<Record<string, unknown>>; outbox: { pending: number } }
    const read = async () => (await (await get("/admin/queues")).json()) as Status
    await eventually(async () => (await read()).queues[0]?.messages === 0)
    const status = await read()
    expect(status.queues).toContainEqual({ step: "sync-contact", queue: "main", messages: 0, consumers: 1 })
    expect(status.queues).toContainEqual({ step: "sync-contact", queue: "retry-1000ms", messages: 0, consumers: 0 })
    expect(status.queues.some((q) => q.queue === "parking")).toBe(true)
    expect(status.outbox.pending).toBeGreaterThanOrEqual(0)
  })

  test("budget: limits, what the replicas leased in this slot and today, tokens by lane and pauses since start", async () => {
    await Effect.runPromise(metrics.count("budget_tokens_total", { lane: "live" }, 7))
    await run(Effect.flatMap(RateBudget, (b) => Effect.andThen(b.lease("live", 3, Date.now()), b.leaseDay(40, Date.now()))))
    const body = (await (await get("/admin/budget")).json()) as {
      leased: { slot: { live: number }; day: { leased: number; cap: number }; active: { live: number; backfill: number } }
    }
    expect(body).toMatchObject({ limits: budget, tokensSinceStart: { live: 7, backfill: 0 }, throttledSinceStart: 0 })
    expect(body.leased.slot.live).toBe(3)
    expect(body.leased.active).toEqual({ live: 1, backfill: 0 })
    expect(body.leased.day).toMatchObject({ leased: 40, cap: budget.daily })
  })
})

describe("backfill jobs", () => {
  type View = {
    job: { id: string; state: string; definition: { direction: string; types: Array<string>; pageSize: number; dryRun: boolean; kind: string } }
    pages: number
    counts: Record<string, number>
  }
  test("start (decoded like the CLI's), list with progress, show; bad definitions are 400, unknown ids 404", async () => {
    const started = await post("/admin/jobs", { direction: "commerce-to-crm", type: "contact", pageSize: 200, dryRun: true })
    expect(started.status).toBe(200)
    const view = (await started.json()) as View
    expect(view).toMatchObject({
      job: { state: "running", definition: { direction: "commerce-to-crm", types: ["user"], pageSize: 200, dryRun: true, kind: "backfill" } },
      pages: 0,
      counts: {}
    })
    await run(Effect.flatMap(BackfillJobs, (j) => j.finish({ jobId: view.job.id, page: 1, cursor: "c", counts: { records: 1000 }, finishedAt: Date.now() })))
    const listed = ((await (await get("/admin/jobs")).json()) as { jobs: Array<View> }).jobs.find((j) => j.job.id === view.job.id)
    expect(listed).toMatchObject({ pages: 2, counts: { records: 1000 } })
    expect(await (await get(`/admin/jobs/${view.job.id}`)).json()).toMatchObject({ job: { id: view.job.id }, pages: 2 })
    expect(((await (await post("/admin/jobs", { direction: "crm-to-commerce", type: "all" })).json()) as View).job.definition).toMatchObject({
      types: ["company", "contact", "order"],
      pageSize: 1000,
      dryRun: false
    })
    // A job's own share is stored and shown; without one the configured BACKFILL_SHARE applies.
    const shared = (await (await post("/admin/jobs", { direction: "crm-to-commerce", type: "company", share: 0.3 })).json()) as View & { share: number }
    expect(shared).toMatchObject({ job: { definition: { share: 0.3 } }, share: 0.3 })
    expect(((await (await get(`/admin/jobs/${view.job.id}`)).json()) as { share: number }).share).toBe(0.5)
    expect((await get("/admin/jobs/no-such-job")).status).toBe(404)
    for (const bad of [
      { direction: "crm-to-commerce", type: "contact", share: 1.5 },
      { direction: "crm-to-commerce", type: "contact", share: -0.1 },
      {},
      { direction: "sideways", type: "contact" },
      { direction: "crm-to-commerce", type: "planet" },
      { direction: "crm-to-commerce", type: "contact", pageSize: 5000 },
      { direction: "crm-to-commerce", type: "contact", pageSize: 1.5 },
      "{not json"
    ]) {
      expect((await post("/admin/jobs", bad)).status).toBe(400)
    }
  })

  test("pause, resume, cancel follow the job's states; a finished job is 409, an unknown one 404, an unknown action 400", async () => {
    const { job } = (await (await post("/admin/jobs", { direction: "crm-to-commerce", type: "company" })).json()) as View
    const act = async (action: string) => {
      const response = await post(`/admin/jobs/${job.id}/${action}`)
      return { status: response.status, state: ((await response.json()) as Partial<View>).job?.state }
    }
    expect(await act("pause")).toEqual({ status: 200, state: "paused" })
    expect((await act("pause")).status).toBe(409)
    expect(await act("resume")).toEqual({ status: 200, state: "running" })
    expect(await act("cancel")).toEqual({ status: 200, state: "cancelled" })
    expect((await act("resume")).status).toBe(409)
    expect((await act("explode")).status).toBe(400)
    expect((await post("/admin/jobs/no-such-job/pause")).status).toBe(404)
    expect((await run(Effect.flatMap(BackfillJobs, (j) => j.list))).find((j) => j.id === job.id)?.state).toBe("cancelled")
  })
})

describe("never a 5xx on bad input", () => {
  const keys = ["step", "type", "entity", "reason", "from", "to", "settled", "limit", "offset", "x"]
  test("any query parameters on the list endpoints, any path segments", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(...keys),
          fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.constantFrom("", "-1", "1e400", "NaN", "true", "0x10"))
        ),
        fc.string({ maxLength: 40 }),
        async (query, segment) => {
          const qs = new URLSearchParams(query).toString()
          const seg = encodeURIComponent(segment)
          for (const path of [
            `/admin/parked?${qs}`,
            `/admin/webhooks/quarantined?${qs}`,
            `/admin/parked/${seg}`,
            `/admin/entities/${seg}/${seg}`,
            `/admin/entities/contact/${seg}`
          ]) {
            const response = await get(path)
            expect(response.status).toBeLessThan(500)
          }
          expect((await get(`/admin/jobs/${seg}`)).status).toBeLessThan(500)
          for (const path of [
            `/admin/parked/${seg}/replay`,
            `/admin/parked/${seg}/discard`,
            "/admin/parked/replay",
            `/admin/webhooks/quarantined/${seg}/replay`,
            "/admin/jobs",
            `/admin/jobs/${seg}/${seg}`,
            `/admin/jobs/${seg}/pause`
          ]) {
            expect((await post(path, query)).status).toBeLessThan(500)
          }
        }
      ),
      { numRuns: 150 }
    )
  })
})
