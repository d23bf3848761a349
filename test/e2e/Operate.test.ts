// The operator's surface end to end (`bun start` on RabbitMQ and FerretDB with both simulators):
// a HubSpot 400 parks an item, /metrics counts it, the admin API replays it after the fix, it
// syncs, and the counters show the replay. Without the token /admin answers 401.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"

const ADMIN_TOKEN = "e2e-admin-token"

describeMongo("end to end: operating crm-sync", (mongoUrl) => {
  if (skipAmqp) {
    test.skipIf(true)("needs AMQP_URL", () => {})
    return
  }
  let stack: Stack
  const base = () => stack.service.url.replace(/\/$/, "")
  beforeAll(async () => {
    stack = await startStack(mongoUrl, { env: { ADMIN_TOKEN } })
  }, 60_000)
  afterAll(async () => {
    if (stack === undefined) return
    expect(await stack.stop()).toBe(0)
  }, 60_000)

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${base()}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers } })
  const metric = async (line: string) => {
    const text = await (await fetch(`${base()}/metrics`)).text()
    return text
      .split("\n")
      .filter((l) => l.startsWith(line))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0)
  }

  test("/admin answers 401 without the token; the start log says the admin API is on", async () => {
    expect((await fetch(`${base()}/admin/parked`)).status).toBe(401)
    expect((await fetch(`${base()}/admin/queues`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401)
    expect(stack.service.logs.some((l) => String(l.message).includes("admin API on"))).toBe(true)
    expect(JSON.stringify(stack.service.logs)).not.toContain(ADMIN_TOKEN)
    const openapi = (await (await fetch(`${base()}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> }
    expect(openapi.openapi).toBe("3.1.0")
    expect(Object.keys(openapi.paths)).toContain("/admin/parked/{id}/replay")
  })

  test("a HubSpot 400 parks an item; /metrics counts it; replayed through the API after the fix, it syncs and the counters show it", async () => {
    stack.hubspot.setFaults({ rejectItems: [{ property: "lastname", value: "Refused", message: "lastname Refused is not allowed" }] })
    const user = await Effect.runPromise(stack.commerce.createUser({ email: "operator-case@example.com", lastName: "Refused" }))
    const userId = String(user["id"])
    const page = await eventually(async () => {
      const body = (await (await admin(`/admin/parked?entity=${userId}`)).json()) as {
        total: number
        items: Array<{ id: string; step: string; reason: string }>
      }
      expect(body.total).toBe(1)
      return body
    }, 20_000)
    const item = page.items[0]!
    expect(item.reason).toContain("Refused is not allowed")
    expect(await metric(`crm_sync_messages_parked_total{step="${item.step}"`)).toBeGreaterThanOrEqual(1)
    expect(await metric(`crm_sync_crm_calls_total{`)).toBeGreaterThan(0)

    // The fix: HubSpot accepts the record now.
    stack.hubspot.setFaults({ rejectItems: [] })
    const replay = (await (await admin(`/admin/parked/${encodeURIComponent(item.id)}/replay`, { method: "POST" })).json()) as { done: Array<string> }
    expect(replay.done).toEqual([item.id])
    await eventually(() => expect(stack.hubspot.state.findByValue("contacts", "ecommerce_user_id", userId)).toBeDefined(), 20_000)
    expect(await metric(`crm_sync_messages_replayed_total{step="${item.step}"`)).toBe(1)
    // Replaying again changes nothing: it is marked replayed.
    const again = (await (await admin(`/admin/parked/${encodeURIComponent(item.id)}/replay`, { method: "POST" })).json()) as { skipped: Array<string> }
    expect(again.skipped).toEqual([item.id])

    const status = await eventually(async () => {
      const body = (await (await admin(`/admin/entities/user/${userId}`)).json()) as { links: Array<{ crmId: string }>; parked: Array<unknown> }
      expect(body.links).toHaveLength(1)
      return body
    }, 20_000)
    expect(status.parked).toHaveLength(1)
    const queues = (await (await admin("/admin/queues")).json()) as { queues: Array<{ queue: string; consumers: number }>; outbox: { pending: number } }
    expect(queues.queues.some((q) => q.queue === "main" && q.consumers > 0)).toBe(true)
    expect(queues.queues.some((q) => q.queue === "parking")).toBe(true)
    expect((await admin("/admin/parked?from=abc&limit=-4")).status).toBe(400)
  }, 60_000)
})
