// POST /webhooks/hubspot: verify, decode each event on its own, store durably, and only then answer 2xx.
import { Clock, Duration, Effect, Result, Schema } from "effect"
import { Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import { asLive } from "../../application/LiveFirst.ts"
import { Metrics } from "../../application/ports/Metrics.ts"
import type { StoreError } from "../../application/ports/StoreError.ts"
import type { PendingEvent, QuarantinedPayload, WebhookInbox } from "../../application/ports/WebhookInbox.ts"
import { attributedToUs } from "../../application/TriageCrmChanges.ts"
import type { CrmChange } from "../../domain/CrmChange.ts"
import { type SignedRequest, verify } from "./HubSpotSignature.ts"
import { HubSpotWebhookEvent, toCrmChange } from "./HubSpotWebhookEvent.ts"

export interface Options {
  readonly clientSecret: string
  /** The URL HubSpot calls, when a proxy sits in front (signatures cover it). */
  readonly publicUrl: string | undefined
  readonly legacyVersions: ReadonlyArray<"v1" | "v2">
  readonly maxBodyBytes: number
  /** Well under HubSpot's 5 s: a slow store answers 503 and HubSpot retries. */
  readonly storeTimeoutMs: number
}

type Outcome = { readonly status: 200 | 401 | 413 | 503; readonly body: Record<string, unknown> }

/** HubSpot sends at most 100 events per request. */
const maxEvents = 100
const decodeEvent = Schema.decodeUnknownResult(HubSpotWebhookEvent)

const parse = (raw: string): Result.Result<unknown, string> => {
  try {
    return Result.succeed(JSON.parse(raw))
  } catch {
    return Result.fail("body is not JSON")
  }
}

const asBatch = (json: unknown): Result.Result<ReadonlyArray<unknown>, string> =>
  !Array.isArray(json)
    ? Result.fail("not a HubSpot event batch: not an array")
    : json.length > maxEvents
      ? Result.fail(`not a HubSpot event batch: more than ${maxEvents} events`)
      : Result.succeed(json)

interface Sorted {
  readonly changes: ReadonlyArray<CrmChange>
  readonly ignored: number
  /** Changes HubSpot attributes to our own app: never stored (flow A would drop them unread). */
  readonly echoes: number
  readonly bad: ReadonlyArray<{ readonly event: unknown; readonly index: number; readonly reason: string }>
}

/** Each event on its own: one malformed event must not take its neighbours with it. */
const sortEvents = (events: ReadonlyArray<unknown>): Sorted => {
  const changes: Array<CrmChange> = []
  const bad: Array<Sorted["bad"][number]> = []
  let ignored = 0
  let echoes = 0
  events.forEach((event, index) => {
    const decoded = decodeEvent(event)
    if (Result.isFailure(decoded)) bad.push({ event, index, reason: `event ${index} is not a HubSpot event: ${decoded.failure.message}` })
    else {
      const change = toCrmChange(decoded.success)
      if (change === undefined) ignored++
      else if (attributedToUs(change)) echoes++
      else changes.push(change)
    }
  })
  return { changes, ignored, echoes, bad }
}

/**
 * Decodes a payload kept in quarantine again (after a fix): a whole batch or one event of it.
 * `bad` lists what still does not decode.
 */
export const decodeQuarantined = (raw: string): Result.Result<Sorted, string> =>
  Result.flatMap(parse(raw), (json) => asBatch(Array.isArray(json) ? json : [json])).pipe(Result.map(sortEvents))

/** `stored` runs after events were stored (it wakes the outbox relay). */
/** How a request runs its effect: the application's runtime (its logger, tracer, clock) in the service. */
export type RunEffect = <A, E>(effect: Effect.Effect<A, E>) => Promise<A>

/** The rejection reason a metric label can carry (a closed set: never a message text). */
const rejection = (outcome: Outcome): string =>
  outcome.status === 401
    ? "signature"
    : outcome.status === 413
      ? "body_too_large"
      : outcome.body.error === "store timed out"
        ? "store_timeout"
        : "store_unavailable"

const countOutcome = (outcome: Outcome) =>
  Effect.flatMap(Effect.service(Metrics), (metrics) => {
    const { body } = outcome
    const num = (v: unknown) => (typeof v === "number" ? v : 0)
    return Effect.all(
      [
        metrics.count("webhook_requests_received_total"),
        outcome.status === 200
          ? metrics.count("webhook_requests_accepted_total")
          : metrics.count("webhook_requests_rejected_total", { reason: rejection(outcome) }),
        metrics.count("webhook_payloads_quarantined_total", {}, body.quarantined === true ? 1 : num(body.quarantined)),
        metrics.count("events_stored_total", {}, num(body.stored)),
        metrics.count("events_duplicate_total", {}, num(body.duplicates)),
        metrics.count("events_echo_dropped_total", {}, num(body.echoes))
      ],
      { discard: true }
    )
  })

/**
 * `stored`: told what a request stored, for the outbox relay to publish at once. A redelivered
 * event among them may go out again: consumers absorb a duplicate.
 */
export const make = (
  inbox: WebhookInbox["Service"],
  options: Options,
  stored: (events: ReadonlyArray<PendingEvent>) => Effect.Effect<void> = () => Effect.void,
  run: RunEffect = Effect.runPromise
) => {
  // Signed but unreadable: keep it for a human and answer 2xx, since HubSpot retries every 4xx.
  const quarantineBody = (raw: string, reason: string, now: number) =>
    Effect.as(inbox.quarantine([{ body: raw, reason, receivedAt: now }]), { status: 200, body: { quarantined: true } } satisfies Outcome)

  const intake = Effect.fn("WebhookIntake")(function* (request: SignedRequest): Effect.fn.Return<Outcome, StoreError> {
    const now = yield* Clock.currentTimeMillis
    const verdict = verify(request, { clientSecret: options.clientSecret, now, legacyVersions: options.legacyVersions })
    if (!verdict.ok) return { status: 401, body: { error: verdict.reason } }
    const raw = request.body
    const batch = Result.flatMap(parse(raw), asBatch)
    if (Result.isFailure(batch)) return yield* quarantineBody(raw, batch.failure, now)
    const { changes, ignored, echoes, bad } = sortEvents(batch.success)
    if (bad.length > 0 && bad.length === batch.success.length) return yield* quarantineBody(raw, bad.map((b) => b.reason).join("; "), now)
    const quarantined = bad.map((b): QuarantinedPayload => ({ body: JSON.stringify(b.event), reason: b.reason, receivedAt: now }))
    const [result] = yield* Effect.all(
      [
        // Live work (LiveFirst) only when there is something to store: our own writes' echoes,
        // dropped above, come in floods during a backfill and must not hold it back.
        changes.length === 0 ? Effect.succeed({ stored: 0, duplicates: 0 }) : asLive(inbox.store(changes, now)),
        bad.length === 0 ? Effect.void : inbox.quarantine(quarantined)
      ],
      { concurrency: 2 }
    )
    if (result.stored > 0) yield* stored(changes.map((change) => ({ change, receivedAt: now })))
    return { status: 200, body: { ...result, ignored, ...(echoes === 0 ? {} : { echoes }), ...(bad.length === 0 ? {} : { quarantined: bad.length }) } }
  })

  const guarded = (request: SignedRequest) =>
    intake(request).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(options.storeTimeoutMs),
        orElse: () => Effect.succeed<Outcome>({ status: 503, body: { error: "store timed out" } })
      }),
      Effect.catch((error) => Effect.succeed<Outcome>({ status: 503, body: { error: error.message } })),
      Effect.tap(countOutcome)
    )

  return new Hono().post(
    "/webhooks/hubspot",
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: async (c) => {
        await run(countOutcome({ status: 413, body: { error: "body too large" } }))
        return c.json({ error: "body too large" }, 413)
      }
    }),
    async (c) => {
      const raw = await c.req.text()
      const url = new URL(c.req.url)
      const uri = options.publicUrl === undefined ? url.href : new URL(`${url.pathname}${url.search}`, options.publicUrl).href
      const outcome = await run(guarded({ method: c.req.method, uri, body: raw, header: (name) => c.req.header(name) }))
      return c.json(outcome.body, outcome.status)
    }
  )
}

/** Without a client secret nothing can be verified, so nothing is accepted; HubSpot will retry. */
export const unconfigured = () =>
  new Hono().post("/webhooks/hubspot", (c) => c.json({ error: "HUBSPOT_CLIENT_SECRET is not set: webhooks cannot be verified" }, 503))
