// POST /webhooks/hubspot: verify, decode, store durably, and only then answer 2xx.
import { Clock, Duration, Effect, Result, Schema } from "effect"
import { Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import type { SyncStore, SyncStoreError } from "../../application/ports/SyncStore.ts"
import { type SignedRequest, signedUri, verify } from "./HubSpotSignature.ts"
import { HubSpotWebhookBatch, toCrmChange } from "./HubSpotWebhookEvent.ts"

export interface Options {
  readonly clientSecret: string
  /** The URL HubSpot calls, when a proxy sits in front (signatures cover it). */
  readonly publicUrl: string | undefined
  readonly legacyVersions: ReadonlyArray<"v1" | "v2">
  readonly maxBodyBytes: number
  /** Well under HubSpot's 5 s: a slow store answers 503 and HubSpot retries. */
  readonly storeTimeoutMs: number
}

type Outcome = { readonly status: 200 | 401 | 503; readonly body: Record<string, unknown> }

const decodeBatch = Schema.decodeUnknownResult(HubSpotWebhookBatch)

const parse = (raw: string): Result.Result<unknown, string> => {
  try {
    return Result.succeed(JSON.parse(raw))
  } catch {
    return Result.fail("body is not JSON")
  }
}

/** `stored` runs after events were stored (it wakes the outbox relay). */
export const make = (store: SyncStore["Service"], options: Options, stored: Effect.Effect<void> = Effect.void) => {
  const intake = Effect.fn("WebhookIntake")(function* (request: SignedRequest): Effect.fn.Return<Outcome, SyncStoreError> {
    const now = yield* Clock.currentTimeMillis
    const verdict = verify(request, { clientSecret: options.clientSecret, now, legacyVersions: options.legacyVersions })
    if (!verdict.ok) return { status: 401, body: { error: verdict.reason } }
    const raw = request.body
    const decoded = Result.flatMap(parse(raw), (json) => Result.mapError(decodeBatch(json), (e) => `not a HubSpot event batch: ${e.message}`))
    if (Result.isFailure(decoded)) {
      // Signed but unreadable: keep it for a human and answer 2xx, since HubSpot retries every 4xx.
      yield* store.quarantine(raw, decoded.failure, now)
      return { status: 200, body: { quarantined: true } }
    }
    const changes = decoded.success.flatMap((event) => {
      const change = toCrmChange(event)
      return change === undefined ? [] : [change]
    })
    const result = yield* store.storeChanges(changes, now)
    if (result.stored > 0) yield* stored
    return { status: 200, body: { ...result, ignored: decoded.success.length - changes.length } }
  })

  const guarded = (request: SignedRequest) =>
    intake(request).pipe(
      Effect.timeoutOrElse({ duration: Duration.millis(options.storeTimeoutMs), orElse: () => Effect.succeed<Outcome>({ status: 503, body: { error: "store timed out" } }) }),
      Effect.catch((error) => Effect.succeed<Outcome>({ status: 503, body: { error: error.message } }))
    )

  return new Hono().post(
    "/webhooks/hubspot",
    bodyLimit({ maxSize: options.maxBodyBytes, onError: (c) => c.json({ error: "body too large" }, 413) }),
    async (c) => {
      const raw = await c.req.text()
      const uri = signedUri(c.req.url, options.publicUrl)
      const outcome = await Effect.runPromise(guarded({ method: c.req.method, uri, body: raw, header: (name) => c.req.header(name) }))
      return c.json(outcome.body, outcome.status)
    }
  )
}

/** Without a client secret nothing can be verified, so nothing is accepted; HubSpot will retry. */
export const unconfigured = () =>
  new Hono().post("/webhooks/hubspot", (c) => c.json({ error: "HUBSPOT_CLIENT_SECRET is not set: webhooks cannot be verified" }, 503))
