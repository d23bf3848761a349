// The one way the adapter reaches HubSpot: a token of the process's LocalBudget first (a search call
// a search slot instead: HubSpot caps search apart from the burst window), the SDK call under a
// timeout, then what the answer said about limits back.
import { Client } from "@hubspot/api-client"
import { Clock, Effect, Fiber, Predicate, Redacted } from "effect"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import { CallTally, Lane, type LaneName } from "../../application/Lane.ts"
import { liveFirst } from "../../application/LiveFirst.ts"
import { type BudgetError, LocalBudget } from "../../application/LocalBudget.ts"
import { CrmError, type CrmErrorReason, CrmQuotaExhausted, CrmTransient } from "../../application/ports/Crm.ts"
import { Metrics } from "../../application/ports/Metrics.ts"
import type { Observation } from "../../application/ports/RateBudget.ts"
import { withSignal } from "./AbortableFetch.ts"
import { classifyHubSpotError, type Headers, thrownRateLimitPolicy } from "./ClassifyHubSpotError.ts"
import { observationOf } from "./RateLimitHeaders.ts"

export interface ClientOptions {
  readonly accessToken: Redacted.Redacted<string>
  readonly basePath: string
  /** Per call; a call without an answer by then is a (retryable) network error. Default 10 s. */
  readonly timeoutMs?: number
  /** The account's IANA zone: its daily cap resets at local midnight. Default UTC. */
  readonly timeZone?: string
  /** While the day is spent, how often a call probes HubSpot for an early reset. Default 60 s. */
  readonly dailyProbeMs?: number
}

export type CallKind = "api" | "search"
type Send<A> = (client: Client) => Promise<{ readonly headers: Headers; readonly data: A }>
export type Call = <A>(name: string, kind: CallKind, f: Send<A>) => Effect.Effect<A, CrmError>
/** Which of the two calls was made, and its answer. */
export type SearchOrCallAnswer<A, B> = { readonly _tag: "search"; readonly data: A } | { readonly _tag: "api"; readonly data: B }
/**
 * One of two calls for the same records: the search if a search slot comes within about one
 * read's time, else the other on a burst token (whichever is granted first after that head start).
 */
export type SearchOrCall = <A, B>(name: string, search: Send<A>, other: Send<B>) => Effect.Effect<SearchOrCallAnswer<A, B>, CrmError>

class CallTimeout extends Error {}

/** A read's duration before any was measured (a HubSpot list call's, under load). */
const READ_MS_AT_START = 100
/** Each read's weight in the moving average: about the last ten reads count. */
const READ_MS_WEIGHT = 0.1

const fail = (reason: CrmErrorReason) => Effect.fail(new CrmError({ reason }))

export const make = Effect.fn("HubSpotClient.make")(function* (options: ClientOptions) {
  const budget = yield* LocalBudget
  // Probes run in the client's own scope: see `probe`.
  const scope = yield* Effect.scope
  // Retries and the Bottleneck limiter stay off: retry lives in the application, limits in the budget.
  const client = new Client({ accessToken: Redacted.value(options.accessToken), basePath: options.basePath, numberOfApiCallRetries: 0 })
  const timeoutMs = options.timeoutMs ?? 10_000
  const timeZone = options.timeZone ?? "UTC"
  /** HubSpot said SECONDLY: no search call before then (the search slots are shared; this pause is not). */
  let nextSearchAt = 0

  const probeMs = options.dailyProbeMs ?? BudgetPolicy.DEFAULT_DAILY_PROBE_MS

  // A spent day is waited out until the next probe, not until our midnight: the probe may find
  // HubSpot's day reset earlier (a wrong time zone or a skewed clock).
  const refused = (error: BudgetError) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      fail(
        error.reason._tag === "DailyBudgetSpent"
          ? new CrmQuotaExhausted({ retryAfterMs: Math.max(0, error.reason.probeAt - now), resetAt: error.reason.resetAt })
          : new CrmTransient({ message: `rate budget unavailable: ${error.reason.message}` })
      )
    )

  const tally = Effect.flatMap(Effect.service(CallTally), (t) =>
    Effect.sync(() => {
      if (t !== undefined) t.calls++
    })
  )

  // A budget that cannot hear what HubSpot said must not fail a call HubSpot already applied.
  const tell = (observation: Observation | undefined) =>
    observation === undefined ? Effect.void : Effect.ignore(budget.observe(observation), { log: "Warn", message: "budget observe failed" })

  const failed = (kind: CallKind, thrown: unknown) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const classified = classifyHubSpotError(thrown, { now, dailyResetAt: BudgetPolicy.localDay(timeZone, now).resetAt })
      // Until the next probe rather than our midnight, as for a day our own count says is spent.
      const reason =
        classified._tag === "CrmQuotaExhausted"
          ? new CrmQuotaExhausted({ retryAfterMs: Math.min(classified.retryAfterMs, probeMs), resetAt: classified.resetAt })
          : classified
      const policy = thrownRateLimitPolicy(thrown)
      if (kind === "search" && reason._tag === "CrmThrottled" && policy === "SECONDLY") nextSearchAt = Math.max(nextSearchAt, now + reason.retryAfterMs)
      const headers = Predicate.hasProperty(thrown, "headers") && Predicate.isObject(thrown.headers) ? (thrown.headers as Headers) : {}
      yield* tell(observationOf(headers, reason, now, policy))
      return yield* fail(reason)
    })

  // The status label is a closed set: an HTTP code, "timeout" or "network" (never a message).
  const statusOf = (thrown: unknown): string =>
    Predicate.hasProperty(thrown, "code") && Predicate.isNumber(thrown.code) ? String(thrown.code) : thrown instanceof CallTimeout ? "timeout" : "network"
  const measure = (name: string, startedAt: number, status: string) =>
    Effect.flatMap(Effect.all([Effect.service(Metrics), Clock.currentTimeMillis]), ([metrics, now]) =>
      Effect.andThen(
        metrics.count("crm_calls_total", { operation: name, status }),
        metrics.observe("crm_call_duration_seconds", [(now - startedAt) / 1000], { operation: name })
      )
    )

  /** The SDK call and what its answer says about limits; the caller holds a budget token. */
  const send: Call = (name, kind, f) =>
    Effect.gen(function* () {
      yield* tally
      const startedAt = yield* Clock.currentTimeMillis
      // The timeout interrupts the call, which aborts its signal, which aborts the request: the socket closes.
      const answer = yield* Effect.tryPromise({ try: (signal) => withSignal(signal, () => f(client)), catch: (thrown) => ({ thrown }) }).pipe(
        Effect.timeoutOrElse({
          duration: timeoutMs,
          orElse: () => Effect.fail({ thrown: new CallTimeout(`timeout: no answer from HubSpot within ${timeoutMs} ms`) })
        }),
        Effect.tapError(({ thrown }) => measure(name, startedAt, statusOf(thrown))),
        Effect.tap(() => measure(name, startedAt, "2xx")),
        Effect.catch(({ thrown }) => failed(kind, thrown))
      )
      const now = yield* Clock.currentTimeMillis
      yield* tell(observationOf(answer.headers, undefined, now))
      return answer.data
    }).pipe(Effect.withSpan(`HubSpot.${name}`))

  /**
   * One cheap call (a company id, with the limit headers) on a rolling-window token only: its
   * headers (or its DAILY 429) tell the budget whether HubSpot's day was reset.
   *
   * It runs in a fiber of the client's scope, not the caller's: a caller is often one of a batch's
   * concurrent calls, interrupted as soon as a sibling fails with the same spent day. Run inline,
   * the probe died with it while `probeDue` had already moved the next one an interval on, so a
   * healed cap could go unnoticed for a minute (chaos `hubspot-daily-cap`: no HubSpot call for
   * 60 s after the heal). Interrupting the caller now leaves the probe to finish and be observed.
   */
  const probe = (lane: LaneName) =>
    budget
      .take(lane, 1, false)
      .pipe(
        Effect.andThen(send("dailyProbe", "api", (c) => c.crm.objects.basicApi.getPageWithHttpInfo("companies", 1, undefined, ["hs_object_id"]))),
        Effect.ignore({ log: "Debug", message: "daily probe failed" }),
        Effect.forkIn(scope),
        Effect.flatMap(Fiber.await)
      )

  /**
   * A take the spent day refused makes one probe when one is due, then takes again; otherwise the
   * refusal stands (until the next probe). Search slots too: a page read races a search slot
   * against a token, and the search's refusal comes first; without its probe a backfill that
   * spent the day never asked HubSpot whether the day was reset.
   */
  const probingWhenSpent = (lane: LaneName, take: Effect.Effect<void, BudgetError>) =>
    take.pipe(
      Effect.catch((error) =>
        error.reason._tag !== "DailyBudgetSpent"
          ? Effect.fail(error)
          : Effect.flatMap(budget.probeDue, (due) => (due ? Effect.andThen(probe(lane), take) : Effect.fail(error)))
      )
    )

  const takeToken: Effect.Effect<void, CrmError> = Effect.flatMap(Effect.service(Lane), (lane) => probingWhenSpent(lane, budget.take(lane, 1))).pipe(
    Effect.catch(refused),
    Effect.withSpan("budget.take")
  )

  /** A search slot, after HubSpot's own SECONDLY pause if it gave one. */
  const takeSearch: Effect.Effect<void, CrmError> = Effect.flatMap(Effect.all([Effect.service(Lane), Clock.currentTimeMillis]), ([lane, now]) =>
    Effect.andThen(Effect.sleep(Math.max(0, nextSearchAt - now)), probingWhenSpent(lane, budget.takeSearch(lane)))
  ).pipe(Effect.catch(refused))

  const call: Call = (name, kind, f) => Effect.andThen(liveFirst, Effect.andThen(kind === "search" ? takeSearch : takeToken, send(name, kind, f)))

  /** How long a read of either kind took lately (a moving average): a search's head start. */
  let readMs = READ_MS_AT_START
  const timed = <A>(effect: Effect.Effect<A, CrmError>) =>
    Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const answer = yield* effect
      readMs += ((yield* Clock.currentTimeMillis) - startedAt - readMs) * READ_MS_WEIGHT
      return answer
    })

  // A search brings twice a list call's records and spends no burst token: it is worth waiting for
  // while its slot comes sooner than a list call would have answered, so the burst token is only
  // asked for after that head start (readMs). With both asked at once, a token at hand always won:
  // bench:backfill made a third of its reads through search and spent the rest of the burst
  // budget on list calls the write-backs then waited for.
  // The loser is interrupted: a search slot not yet claimed costs nothing; a burst token taken just
  // as the slot won is left unspent in this process's lease (it lapses with the slot).
  const searchOrCall: SearchOrCall = <A, B>(name: string, search: Send<A>, other: Send<B>) => {
    type Step = SearchOrCallAnswer<A, B>
    const sendSearch: Effect.Effect<Step, CrmError> = Effect.map(send(`${name}.search`, "search", search), (data) => ({ _tag: "search", data }))
    const sendOther: Effect.Effect<Step, CrmError> = Effect.map(send(name, "api", other), (data) => ({ _tag: "api", data }))
    const tokenAfterHeadStart = Effect.suspend(() => Effect.andThen(Effect.sleep(Math.round(readMs)), takeToken))
    return Effect.andThen(
      liveFirst,
      Effect.flatMap(Effect.raceFirst(Effect.as(takeSearch, true), Effect.as(tokenAfterHeadStart, false)), (searched) =>
        timed(searched ? sendSearch : sendOther)
      )
    )
  }

  return { client, call, searchOrCall }
})
