// Intake: signed 100-event webhook requests from concurrent senders straight at the service's
// POST /webhooks/hubspot for a fixed time; then how long the outbox relay takes to publish the
// burst; then a raw `insertMany` of as many inbox-like documents on the same server as a baseline.
import { MongoClient } from "mongodb"
import type { Stack } from "../../test/support/e2e/Stack.ts"
import { toWebhookEvent, type WebhookEvent } from "../../test/support/hubspot/WebhookEvents.ts"
import { type Deadline, waitUntil } from "./Deadline.ts"
import type { FerretDb } from "./FerretDb.ts"
import { countRelayed } from "./RelayCounter.ts"
import { meterUsage, type Usage } from "./Usage.ts"

export interface IntakeSettings {
  readonly seconds: number
  readonly senders: number
  readonly eventsPerRequest: number
  readonly drainWaitSeconds: number
  /** The service's AMQP_PREFIX inside the stack's vhost. */
  readonly prefix: string
}

export interface IntakeResult {
  readonly seconds: number
  readonly requests: number
  readonly acceptedEvents: number
  readonly nonOk: Record<string, number>
  readonly p50Ms: number
  readonly p99Ms: number
  readonly usage: Usage
  readonly published: number
  /** Seconds after the burst until the relay had published every accepted event; undefined if it did not. */
  readonly drainSeconds: number | undefined
  readonly drainWaitedSeconds: number
}

export interface RawInsertResult {
  readonly documents: number
  readonly seconds: number
}

interface InboxLike {
  readonly _id: string
  readonly event: WebhookEvent
  readonly status: string
  readonly receivedAt: Date
  readonly attempts: number
}

const requestTimeoutMs = 30_000

/** `promise`, or `fallback` once `ms` passed (the timer is cleared either way, so nothing lingers). */
const orAfter = <A>(promise: Promise<A>, ms: number, fallback: A): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<A>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
  })
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer))
}

const identity = { portalId: 62_515, appId: 1_234_567 }

/** A contact property change for its own object, so nothing coalesces and every event is published once. */
export const intakeEvent = (n: number): WebhookEvent =>
  toWebhookEvent(
    { kind: "propertyChange", objectType: "contacts", id: String(50_000_000 + n), name: "firstname", value: `Intake ${n}`, source: "CRM_UI" },
    10_000_000 + n,
    identity,
    Date.now()
  )

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}

interface Sent {
  readonly latencies: Array<number>
  readonly nonOk: Record<string, number>
  accepted: number
  next: number
}

const sender = async (stack: Stack, settings: IntakeSettings, endsAt: number, sent: Sent): Promise<void> => {
  while (performance.now() < endsAt) {
    const events = Array.from({ length: settings.eventsPerRequest }, () => intakeEvent(sent.next++))
    const started = performance.now()
    const answer = stack.deliver(events).then(async (res) => {
      await res.arrayBuffer()
      return String(res.status)
    })
    // A request that never returns must not keep the bench running: it counts as a timeout.
    const status = await orAfter(answer, requestTimeoutMs, "timeout").catch((error: unknown) => (error instanceof Error ? error.name : "error"))
    sent.latencies.push(performance.now() - started)
    if (status.startsWith("2")) sent.accepted += events.length
    else sent.nonOk[status] = (sent.nonOk[status] ?? 0) + 1
  }
}

export const runIntake = async (stack: Stack, store: FerretDb, settings: IntakeSettings, deadline: Deadline): Promise<IntakeResult> => {
  const counter = await countRelayed(stack.broker.url, settings.prefix)
  try {
    const used = await meterUsage([stack.service.process.pid], store)
    const sent: Sent = { latencies: [], nonOk: {}, accepted: 0, next: 0 }
    const started = performance.now()
    const endsAt = started + deadline.cap(settings.seconds * 1000)
    await Promise.all(Array.from({ length: settings.senders }, () => sender(stack, settings, endsAt, sent)))
    const seconds = (performance.now() - started) / 1000
    const usage = await used()
    const drain = await waitUntil(() => counter.distinct() >= sent.accepted, deadline.cap(settings.drainWaitSeconds * 1000), 250)
    return {
      seconds,
      requests: sent.latencies.length,
      acceptedEvents: sent.accepted,
      nonOk: sent.nonOk,
      p50Ms: percentile(sent.latencies, 50),
      p99Ms: percentile(sent.latencies, 99),
      usage,
      published: counter.distinct(),
      drainSeconds: drain.done ? drain.ms / 1000 : undefined,
      drainWaitedSeconds: drain.ms / 1000
    }
  } finally {
    await counter.close()
  }
}

/** The same number of documents as intake accepted, 100 a call from as many concurrent writers, into a scratch database. */
export const rawInsertMany = async (url: string, documents: number, settings: IntakeSettings): Promise<RawInsertResult> => {
  const client = new MongoClient(url)
  const db = client.db(`bench_scratch_${Date.now().toString(36)}`)
  try {
    const collection = db.collection<InboxLike>("inbox")
    let next = 0
    const writer = async () => {
      while (next < documents) {
        const from = next
        next = Math.min(documents, next + settings.eventsPerRequest)
        const docs = Array.from({ length: next - from }, (_, i) => {
          const event = intakeEvent(from + i)
          return { _id: `${event.portalId}:${event.eventId}`, event, status: "pending", receivedAt: new Date(), attempts: 0 }
        })
        await collection.insertMany(docs, { ordered: false })
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: settings.senders }, writer))
    return { documents, seconds: (performance.now() - started) / 1000 }
  } finally {
    await db.dropDatabase().catch(() => {})
    await client.close()
  }
}
