// The operators' API under /admin (mounted behind AdminAuth): parked messages, quarantined
// webhook payloads, entity status, queues, budget and backfill jobs. Inputs are decoded with AdminSchemas, so bad
// input answers 400; an unavailable store or broker answers 503 with the error's tag only.
import { Clock, Effect, Result, Schema } from "effect"
import type { Context as HonoContext } from "hono"
import { Hono } from "hono"
import { changeJob, type JobView, jobStatus, listJobs, startJob } from "../../application/BackfillCommands.ts"
import { typesFor } from "../../application/BackfillPages.ts"
import { type BudgetConfig, laneShare } from "../../application/BudgetPolicy.ts"
import { entityStatus } from "../../application/EntityStatus.ts"
import { discardParked, findParked, replayMatching, replayParked, showParked } from "../../application/ParkedOperations.ts"
import type { BackfillJobs } from "../../application/ports/BackfillJobs.ts"
import type { IdLinks } from "../../application/ports/IdLinks.ts"
import type { MessageBus } from "../../application/ports/MessageBus.ts"
import { Metrics } from "../../application/ports/Metrics.ts"
import type { ParkedItem, ParkedItems } from "../../application/ports/ParkedItems.ts"
import { RateBudget } from "../../application/ports/RateBudget.ts"
import type { Snapshots } from "../../application/ports/Snapshots.ts"
import { WebhookInbox } from "../../application/ports/WebhookInbox.ts"
import { queueStatus } from "../../application/QueueStatus.ts"
import * as S from "./AdminSchemas.ts"
import { decodeQuarantined } from "./WebhookRoutes.ts"

export type AdminServices = ParkedItems | MessageBus | WebhookInbox | IdLinks | Snapshots | RateBudget | BackfillJobs
type Status = 200 | 400 | 404 | 409 | 422 | 503
export interface Reply {
  readonly status: Status
  readonly body: unknown
}
export interface AdminOptions {
  readonly run: (effect: Effect.Effect<Reply, never, AdminServices>) => Promise<Reply>
  readonly budget: BudgetConfig
  /** Runs after a quarantined payload was stored again (wakes the outbox relay). */
  readonly stored: Effect.Effect<void>
}

const ok = (body: unknown): Reply => ({ status: 200, body })
const notFound = (what: string): Reply => ({ status: 404, body: { error: `${what} not found` } })
const badInput = (message: string): Reply => ({ status: 400, body: { error: message } })

/** The error's tag and retryability, never its message: a driver's text may name hosts or users. */
const unavailable = (error: { readonly _tag: string; readonly isRetryable?: boolean }): Reply => ({
  status: 503,
  body: { error: `${error._tag}: the store or the broker is unavailable`, retryable: error.isRetryable ?? true }
})

const decode = <A, I>(schema: Schema.Codec<A, I>, input: unknown): Result.Result<A, string> =>
  Result.mapError(Schema.decodeUnknownResult(schema)(input), (issue) => `bad input: ${issue.message}`)

/** JSON APIs omit undefined keys; drop them so the views match their Schemas. */
const view = (item: ParkedItem) => JSON.parse(JSON.stringify(item)) as unknown

/** Said with every entity status: a broker's queues cannot be searched without consuming them. */
export const queuesNotInspected =
  "not inspected: messages already published to a step queue are not listed; pending lists the webhook events for its CRM ids still in the outbox"

const jobView = (v: JobView, budget: Pick<BudgetConfig, "backfillShare" | "maxBackfillShare">) =>
  JSON.parse(JSON.stringify({ ...v, share: laneShare(budget, v.job.definition.share) })) as unknown
const jobTarget = { pause: "paused", resume: "running", cancel: "cancelled" } as const

/** A new operator backfill, as `bun run backfill start` builds it. */
const definitionOf = (b: S.JobStartBody) => ({
  direction: b.direction,
  types: typesFor(b.direction, b.type),
  ...(b.fromId === undefined ? {} : { fromId: b.fromId }),
  ...(b.toId === undefined ? {} : { toId: b.toId }),
  ...(b.modifiedSince === undefined ? {} : { modifiedSince: b.modifiedSince }),
  ...(b.modifiedUntil === undefined ? {} : { modifiedUntil: b.modifiedUntil }),
  pageSize: b.pageSize ?? 1000,
  dryRun: b.dryRun ?? false,
  ...(b.share === undefined ? {} : { share: b.share }),
  kind: "backfill" as const
})

const parkedQuery = (q: S.ParkedListQuery) => ({ ...q, includeReplayed: q.settled === "true" })

export const make = (options: AdminOptions) => {
  const respond = async (c: HonoContext, reply: Effect.Effect<Reply, { readonly _tag: string; readonly isRetryable?: boolean }, AdminServices> | Reply) => {
    const out = Effect.isEffect(reply) ? await options.run(Effect.catch(reply, (e) => Effect.succeed(unavailable(e)))) : reply
    return c.json(out.body as object, out.status)
  }
  const withInput = <A>(
    decoded: Result.Result<A, string>,
    then: (a: A) => Effect.Effect<Reply, { readonly _tag: string; readonly isRetryable?: boolean }, AdminServices> | Reply
  ) => (Result.isFailure(decoded) ? badInput(decoded.failure) : then(decoded.success))
  // A body that is not JSON is bad input like any other.
  const body = async (c: HonoContext): Promise<unknown> => c.req.json().catch(() => Symbol.for("not json"))

  const quarantinedById = (id: string) =>
    Effect.map(
      Effect.flatMap(WebhookInbox, (i) => i.quarantined),
      (all) => all.find((q) => q.id === id)
    )

  return new Hono()
    .get("/admin/parked", (c) =>
      respond(
        c,
        withInput(decode(S.ParkedListQuery, c.req.query()), (q) =>
          Effect.map(findParked(parkedQuery(q)), (page) => ok({ total: page.total, items: page.items.map(view) }))
        )
      )
    )
    .get("/admin/parked/:id", (c) =>
      respond(
        c,
        withInput(decode(Schema.String.check(Schema.isMaxLength(500)), c.req.param("id")), (id) =>
          Effect.map(showParked(id), (item) => (item === undefined ? notFound("parked item") : ok(view(item))))
        )
      )
    )
    .post("/admin/parked/:id/replay", (c) =>
      respond(
        c,
        Effect.map(replayParked([c.req.param("id")]), (r) => (r.unknown.length > 0 ? notFound("parked item") : ok(r)))
      )
    )
    .post("/admin/parked/replay", async (c) => {
      const input = await body(c)
      const asIds = decode(S.Ids, input)
      if (Result.isSuccess(asIds)) return respond(c, Effect.map(replayParked(asIds.success.ids), ok))
      return respond(
        c,
        withInput(decode(S.ReplayMatchingBody, input), (filter) =>
          Object.keys(filter).length === 0
            ? badInput("bad input: give ids or at least one filter (step, type, entity, reason, from, to)")
            : Effect.map(replayMatching(filter), ok)
        )
      )
    })
    .post("/admin/parked/:id/discard", async (c) => {
      const input = await body(c)
      return respond(
        c,
        withInput(decode(S.DiscardBody, input), ({ note }) =>
          Effect.map(discardParked([c.req.param("id")], note), (r) => (r.unknown.length > 0 ? notFound("parked item") : ok(r)))
        )
      )
    })
    .get("/admin/webhooks/quarantined", (c) =>
      respond(
        c,
        withInput(decode(S.PageQuery, c.req.query()), ({ limit = 50, offset = 0 }) =>
          Effect.map(
            Effect.flatMap(WebhookInbox, (i) => i.quarantined),
            (all) => ok({ total: all.length, items: all.slice(offset, offset + limit) })
          )
        )
      )
    )
    .get("/admin/webhooks/quarantined/:id", (c) =>
      respond(
        c,
        Effect.map(quarantinedById(c.req.param("id")), (q) => (q === undefined ? notFound("quarantined payload") : ok(q)))
      )
    )
    .post("/admin/webhooks/quarantined/:id/replay", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const payload = yield* quarantinedById(c.req.param("id"))
          if (payload === undefined) return notFound("quarantined payload")
          const decoded = decodeQuarantined(payload.body)
          if (Result.isFailure(decoded)) return { status: 422, body: { error: `still undecodable: ${decoded.failure}` } } satisfies Reply
          const { changes, ignored, bad } = decoded.success
          if (bad.length > 0) return { status: 422, body: { error: `still undecodable: ${bad.map((b) => b.reason).join("; ")}` } } satisfies Reply
          const inbox = yield* WebhookInbox
          const result = yield* inbox.store(changes, yield* Clock.currentTimeMillis)
          yield* inbox.release([payload.id])
          if (result.stored > 0) yield* options.stored
          return ok({ ...result, ignored })
        })
      )
    )
    .post("/admin/webhooks/quarantined/:id/discard", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const payload = yield* quarantinedById(c.req.param("id"))
          if (payload === undefined) return notFound("quarantined payload")
          yield* Effect.flatMap(WebhookInbox, (i) => i.release([payload.id]))
          return ok({ done: [payload.id], skipped: [], unknown: [] })
        })
      )
    )
    .get("/admin/entities/:type/:id", (c) =>
      respond(
        c,
        withInput(decode(S.EntityType, c.req.param("type")), (type) =>
          withInput(decode(S.EntityId, c.req.param("id")), (id) =>
            Effect.map(entityStatus(type, id), (status) => ok({ ...(JSON.parse(JSON.stringify(status)) as object), queues: queuesNotInspected }))
          )
        )
      )
    )
    .get("/admin/jobs", (c) =>
      respond(
        c,
        Effect.map(listJobs(), (views) => ok({ jobs: views.map((v) => jobView(v, options.budget)) }))
      )
    )
    .post("/admin/jobs", async (c) => {
      const input = await body(c)
      return respond(
        c,
        withInput(decode(S.JobStartBody, input), (b) =>
          Effect.map(Effect.flatMap(startJob(definitionOf(b)), jobStatus), (v) => jobView(v, options.budget)).pipe(Effect.map(ok))
        )
      )
    })
    .get("/admin/jobs/:id", (c) =>
      respond(
        c,
        withInput(decode(S.JobId, c.req.param("id")), (id) =>
          jobStatus(id).pipe(
            Effect.map((v) => ok(jobView(v, options.budget))),
            Effect.catchTag("JobNotFound", () => Effect.succeed(notFound("job")))
          )
        )
      )
    )
    .post("/admin/jobs/:id/:action", (c) =>
      respond(
        c,
        withInput(decode(S.JobId, c.req.param("id")), (id) =>
          withInput(decode(S.JobAction, c.req.param("action")), (action) =>
            changeJob(id, jobTarget[action]).pipe(
              Effect.map((v) => ok(jobView(v, options.budget))),
              Effect.catchTags({
                JobNotFound: () => Effect.succeed(notFound("job")),
                JobFinished: (e) => Effect.succeed({ status: 409, body: { error: `cannot ${action} a job that is ${e.state}` } } satisfies Reply)
              })
            )
          )
        )
      )
    )
    .get("/admin/queues", (c) =>
      respond(
        c,
        Effect.map(queueStatus(), (status) => ok(JSON.parse(JSON.stringify(status))))
      )
    )
    .get("/admin/budget", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const metrics = yield* Metrics
          const { burst, intervalMs, daily, backfillShare, timeZone } = options.budget
          const usage = yield* Effect.flatMap(RateBudget, (b) => Effect.flatMap(Clock.currentTimeMillis, b.usage))
          return ok({
            limits: { burst, intervalMs, daily, backfillShare, timeZone },
            leased: usage,
            tokensSinceStart: {
              live: yield* metrics.total("budget_tokens_total", { lane: "live" }),
              backfill: yield* metrics.total("budget_tokens_total", { lane: "backfill" })
            },
            throttledSinceStart: yield* metrics.total("budget_throttled_total")
          })
        })
      )
    )
}
