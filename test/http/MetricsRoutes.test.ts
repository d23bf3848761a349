// /metrics: what the webhook route, the step runner and the relay record shows up in Prometheus text.
import { describe, expect, test } from "bun:test"
import { createHmac } from "node:crypto"
import { Effect, Layer } from "effect"
import * as MetricsRoutes from "../../src/adapters/http/MetricsRoutes.ts"
import * as WebhookRoutes from "../../src/adapters/http/WebhookRoutes.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import * as PromMetrics from "../../src/adapters/metrics/PromMetrics.ts"
import type { Delivery } from "../../src/application/ports/MessageBus.ts"
import { Metrics } from "../../src/application/ports/Metrics.ts"
import type { Step } from "../../src/application/Step.ts"
import { StepFailure } from "../../src/application/StepFailure.ts"
import { settleBatch } from "../../src/application/StepRunner.ts"

const SECRET = "shhh"
const signed = (body: string, secret = SECRET) => {
  const timestamp = Date.now()
  return {
    "content-type": "application/json",
    "x-hubspot-signature-v3": createHmac("sha256", secret).update(`POSThttp://localhost/webhooks/hubspot${body}${timestamp}`).digest("base64"),
    "x-hubspot-request-timestamp": String(timestamp)
  }
}
const event = (n: number) => ({
  eventId: 100 + n,
  subscriptionId: 7,
  portalId: 42,
  appId: 9,
  occurredAt: 1_700_000_000_000 + n,
  subscriptionType: "contact.propertyChange",
  attemptNumber: 0,
  objectId: 500 + n,
  propertyName: "email",
  propertyValue: `c${n}@example.com`,
  changeSource: "CRM_UI"
})

const scrape = async (metrics: PromMetrics.PromMetrics) => (await MetricsRoutes.make(metrics.registry).request("/metrics")).text()
const sample = (text: string, line: string) => {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `))
  return found === undefined ? undefined : Number(found.slice(line.length + 1))
}

describe("/metrics", () => {
  test("webhook requests: received, accepted, rejected by reason, quarantined, events stored and duplicates", async () => {
    const metrics = PromMetrics.make()
    const inbox = await Effect.runPromise(InMemoryWebhookInbox.make())
    const run: WebhookRoutes.RunEffect = (effect) => Effect.runPromise(Effect.provide(effect, PromMetrics.layer(metrics)))
    const app = WebhookRoutes.make(
      inbox,
      { clientSecret: SECRET, publicUrl: undefined, legacyVersions: [], maxBodyBytes: 65536, storeTimeoutMs: 500 },
      () => Effect.void,
      run
    )
    const post = (body: string, headers: Record<string, string>) => app.request("/webhooks/hubspot", { method: "POST", body, headers })
    const body = JSON.stringify([event(1), event(2)])
    expect((await post(body, signed(body))).status).toBe(200)
    expect((await post(body, signed(body))).status).toBe(200)
    expect((await post(body, signed(body, "wrong"))).status).toBe(401)
    expect((await post("not json", signed("not json"))).status).toBe(200)
    const huge = JSON.stringify([{ pad: "x".repeat(70_000) }])
    expect((await post(huge, signed(huge))).status).toBe(413)
    const response = await MetricsRoutes.make(metrics.registry).request("/metrics")
    expect(response.headers.get("content-type")).toContain("text/plain")
    const text = await response.text()
    expect(sample(text, "crm_sync_webhook_requests_received_total")).toBe(5)
    expect(sample(text, 'crm_sync_webhook_requests_rejected_total{reason="body_too_large"}')).toBe(1)
    expect(sample(text, "crm_sync_webhook_requests_accepted_total")).toBe(3)
    expect(sample(text, 'crm_sync_webhook_requests_rejected_total{reason="signature"}')).toBe(1)
    expect(sample(text, "crm_sync_webhook_payloads_quarantined_total")).toBe(1)
    expect(sample(text, "crm_sync_events_stored_total")).toBe(2)
    expect(sample(text, "crm_sync_events_duplicate_total")).toBe(2)
  })

  test("a settled batch counts consumed, retried and parked per step and tier, handler time and sync lag", async () => {
    const metrics = PromMetrics.make()
    const step: Step = { name: "sync-x", bindings: [], retryTiersMs: [100, 1_000], maxAttempts: 3, deliveryLimit: 5, prefetch: 10 }
    const delivery = (id: string, attempt: number): Delivery => ({
      envelope: { id, type: "t", payload: {}, occurredAt: 0, lane: "live", attempt },
      firstFailedAt: undefined,
      undecodable: false
    })
    const outcome: Record<string, StepFailure | undefined> = {
      ok: undefined,
      again: new StepFailure({ retryable: true, reason: "503" }),
      bad: new StepFailure({ retryable: false, reason: "400" })
    }
    await Effect.runPromise(
      settleBatch(step, (ms) => Effect.succeed(ms.map((m) => outcome[m.id])))([delivery("ok", 1), delivery("again", 2), delivery("bad", 1)]).pipe(
        Effect.provide(Layer.merge(InMemoryParkedItems.layer, PromMetrics.layer(metrics)))
      )
    )
    const text = await scrape(metrics)
    expect(sample(text, 'crm_sync_messages_consumed_total{step="sync-x",tier="main"}')).toBe(2)
    expect(sample(text, 'crm_sync_messages_consumed_total{step="sync-x",tier="retry-1"}')).toBe(1)
    expect(sample(text, 'crm_sync_messages_retried_total{step="sync-x",tier="retry-2"}')).toBe(1)
    expect(sample(text, 'crm_sync_messages_parked_total{step="sync-x",tier="main"}')).toBe(1)
    expect(sample(text, 'crm_sync_handler_duration_seconds_count{step="sync-x",lane="live"}')).toBe(1)
    expect(sample(text, 'crm_sync_sync_lag_seconds_count{step="sync-x",lane="live"}')).toBe(1)
    expect(
      await Effect.runPromise(
        Effect.flatMap(Effect.service(Metrics), (m) => m.total("messages_consumed_total", { step: "sync-x" })).pipe(Effect.provide(PromMetrics.layer(metrics)))
      )
    ).toBe(3)
  })

  test("without a Metrics adapter recording is a no-op, and an undeclared label does not throw", async () => {
    const metrics = PromMetrics.make()
    await Effect.runPromise(metrics.count("messages_replayed_total", { step: "s", stray: "x" }))
    expect(sample(await scrape(metrics), 'crm_sync_messages_replayed_total{step="s"}')).toBe(1)
  })
})
