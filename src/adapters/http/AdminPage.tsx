// The admin page at /admin/ui, server-rendered with Hono's JSX (no front-end build): health,
// queues, budget, parked messages with replay buttons, entity lookup, backfill jobs with
// pause/resume/cancel buttons. Signing in stores the token
// in an HttpOnly, SameSite=Strict cookie that AdminAuth accepts like the bearer header; forms
// post back and redirect, so the page works without JavaScript.
import { Effect, Result, Schema } from "effect"
import type { Context as HonoContext } from "hono"
import { Hono } from "hono"
import { deleteCookie, setCookie } from "hono/cookie"
import type { Child, FC } from "hono/jsx"
import { changeJob, type JobView, listJobs } from "../../application/BackfillCommands.ts"
import { type EntityStatus, entityStatus } from "../../application/EntityStatus.ts"
import { findParked, type ParkedPage, replayParked } from "../../application/ParkedOperations.ts"
import { Metrics } from "../../application/ports/Metrics.ts"
import type { ParkedItem } from "../../application/ports/ParkedItems.ts"
import { type BudgetUsage, RateBudget } from "../../application/ports/RateBudget.ts"
import { type QueueStatus, queueStatus } from "../../application/QueueStatus.ts"
import { adminCookie, sameSecret } from "./AdminAuth.ts"
import type { AdminServices } from "./AdminRoutes.ts"
import * as S from "./AdminSchemas.ts"

export interface PageOptions {
  readonly token: string
  readonly run: <A>(effect: Effect.Effect<A, { readonly _tag: string }, AdminServices>) => Promise<A>
  /** Readiness and liveness checks by name. */
  readonly health: () => Promise<Record<string, boolean>>
}

const style = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2430}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;font-size:.9rem}td,th{border-bottom:1px solid #d5dae1;padding:.3rem .6rem;text-align:left;vertical-align:top}
.ok{color:#16794c}.bad{color:#b42318}.flash{background:#eef6ff;border:1px solid #9cc3f5;padding:.5rem;margin:.5rem 0}
form.inline{display:inline}input,select,button{font:inherit;margin-right:.3rem}code{font-size:.8rem}`

const Layout: FC<{ title: string; children?: Child }> = ({ title, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <title>{title}</title>
      <style>{style}</style>
    </head>
    <body>{children}</body>
  </html>
)

const time = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString().replace(".000Z", "Z"))

const SignIn: FC<{ failed: boolean }> = ({ failed }) => (
  <Layout title="crm-sync admin: sign in">
    <h1>crm-sync admin</h1>
    {failed ? <p class="bad">That token is not right.</p> : null}
    <form method="post" action="/admin/ui/login">
      <label>
        Admin token <input type="password" name="token" autocomplete="current-password" />
      </label>
      <button type="submit">Sign in</button>
    </form>
  </Layout>
)

const Health: FC<{ checks: Record<string, boolean> }> = ({ checks }) => (
  <ul id="health">
    {Object.entries(checks).map(([name, ok]) => (
      <li class={ok ? "ok" : "bad"}>
        {name}: {ok ? "ok" : "failing"}
      </li>
    ))}
  </ul>
)

const Queues: FC<{ status: QueueStatus }> = ({ status }) => (
  <>
    <table id="queues">
      <tr>
        <th>step</th>
        <th>queue</th>
        <th>messages</th>
        <th>consumers</th>
      </tr>
      {status.queues.map((q) => (
        <tr>
          <td>{q.step ?? ""}</td>
          <td>{q.queue}</td>
          <td>{q.messages}</td>
          <td>{q.consumers}</td>
        </tr>
      ))}
    </table>
    <p>
      Outbox: {status.outbox.pending} pending{status.outbox.oldestAgeMs === undefined ? "" : `, oldest ${Math.round(status.outbox.oldestAgeMs / 1000)} s`}
    </p>
  </>
)

const Parked: FC<{ page: ParkedPage; filter: Record<string, string> }> = ({ page, filter }) => (
  <>
    <form method="get" action="/admin/ui">
      <input name="entity" placeholder="entity id" value={filter.entity ?? ""} />
      <input name="step" placeholder="step" value={filter.step ?? ""} />
      <input name="reason" placeholder="reason text" value={filter.reason ?? ""} />
      <button type="submit">Filter</button>
    </form>
    <p>
      {page.items.length} of {page.total}
    </p>
    <table id="parked">
      <tr>
        <th>id</th>
        <th>step</th>
        <th>parked at</th>
        <th>attempts</th>
        <th>reason</th>
        <th />
      </tr>
      {page.items.map((item: ParkedItem) => (
        <tr data-id={item.id}>
          <td>
            <code>{item.id}</code>
          </td>
          <td>{item.step}</td>
          <td>{time(item.lastFailedAt)}</td>
          <td>{item.attempts}</td>
          <td>{item.reason}</td>
          <td>
            <form class="inline" method="post" action={`/admin/ui/parked/${encodeURIComponent(item.id)}/replay`}>
              <button type="submit">Replay</button>
            </form>
          </td>
        </tr>
      ))}
    </table>
  </>
)

const Entity: FC<{ status: EntityStatus | undefined; error: string | undefined }> = ({ status, error }) => (
  <div id="entity">
    <form method="get" action="/admin/ui">
      <select name="type">
        {S.EntityType.literals.map((t) => (
          <option value={t}>{t}</option>
        ))}
      </select>
      <input name="id" placeholder="CRM or commerce id" />
      <button type="submit">Look up</button>
    </form>
    {error === undefined ? null : <p class="bad">{error}</p>}
    {status === undefined ? null : (
      <table>
        <tr>
          <th>side</th>
          <th>id</th>
          <th>last synced version</th>
        </tr>
        {status.crm.map((s) => (
          <tr>
            <td>CRM {status.crmType}</td>
            <td>{s.id}</td>
            <td>{time(s.version)}</td>
          </tr>
        ))}
        {status.commerce.map((s) => (
          <tr>
            <td>commerce {status.entity}</td>
            <td>{s.id}</td>
            <td>
              {time(s.version)}
              {s.deleted ? " (deleted)" : ""}
            </td>
          </tr>
        ))}
        <tr>
          <td>links</td>
          <td colspan={2}>{status.links.map((l) => `${l.crmId} ⇄ ${l.commerceId}`).join(", ") || "none"}</td>
        </tr>
        <tr>
          <td>parked</td>
          <td colspan={2}>{status.parked.map((p) => `${p.id} (${p.replayedAt === undefined ? "open" : "replayed"})`).join(", ") || "none"}</td>
        </tr>
        <tr>
          <td>pending in the outbox</td>
          <td colspan={2}>
            {status.pending.map((e) => `${e.change.kind} ${e.change.propertyName ?? ""} at ${time(e.change.occurredAt)}`).join(", ") || "none"} (queue contents
            are not inspected)
          </td>
        </tr>
      </table>
    )}
  </div>
)

/** What an operator may do to a job in each state (BackfillCommands enforces the same). */
const jobActions: Record<string, ReadonlyArray<"pause" | "resume" | "cancel">> = { running: ["pause", "cancel"], paused: ["resume", "cancel"] }
const jobTarget = { pause: "paused", resume: "running", cancel: "cancelled" } as const

const Backfill: FC<{ jobs: ReadonlyArray<JobView> }> = ({ jobs }) => (
  <table id="jobs">
    <tr>
      <th>job</th>
      <th>kind</th>
      <th>types</th>
      <th>state</th>
      <th>progress</th>
      <th />
    </tr>
    {jobs.length === 0 ? (
      <tr>
        <td colspan={6}>no jobs</td>
      </tr>
    ) : null}
    {jobs.map((v) => (
      <tr data-id={v.job.id}>
        <td>
          <code>{v.job.id}</code>
        </td>
        <td>
          {v.job.definition.kind}
          {v.job.definition.dryRun ? " (dry run)" : ""}
        </td>
        <td>
          {v.job.definition.direction}: {v.job.definition.types.join(", ")}
        </td>
        <td>
          {v.job.state}
          {v.job.waitUntil === undefined ? "" : ` (quota spent, waits until ${time(v.job.waitUntil)})`}
        </td>
        <td>
          {v.pages} pages, {v.counts["records"] ?? 0} records, {v.rate.toFixed(1)}/s
          {Object.entries(v.counts)
            .filter(([k]) => k !== "records")
            .map(([k, n]) => `, ${k} ${n}`)
            .join("")}
          {v.lastPageAt === undefined ? "" : `; last page ${time(v.lastPageAt)}`}
        </td>
        <td>
          {(jobActions[v.job.state] ?? []).map((action) => (
            <form class="inline" method="post" action={`/admin/ui/jobs/${encodeURIComponent(v.job.id)}/${action}`}>
              <button type="submit">{action[0]!.toUpperCase() + action.slice(1)}</button>
            </form>
          ))}
        </td>
      </tr>
    ))}
  </table>
)

const Budget: FC<{ usage: BudgetUsage; tokens: { live: number; backfill: number; throttled: number } }> = ({ usage, tokens }) => (
  <div id="budget">
    <p>
      This slot of the rolling window: live {usage.slot.live}, backfill {usage.slot.backfill} of {usage.slot.capacity} (all replicas)
      {usage.pauseUntil > 0 ? `; paused until ${time(usage.pauseUntil)}` : ""}
    </p>
    <p>
      Replicas leasing in the last 10 s: live {usage.active.live}, backfill {usage.active.backfill}
    </p>
    <p>
      Today ({usage.day.key}): {Math.max(usage.day.leased, usage.day.floor)} of {usage.day.cap}, resets {time(usage.day.resetAt)}
    </p>
    <p>
      This process since start: live {tokens.live}, backfill {tokens.backfill} tokens; pauses asked by HubSpot: {tokens.throttled}
    </p>
  </div>
)

const PageFilter = Schema.Struct({
  entity: Schema.optionalKey(S.EntityId),
  step: Schema.optionalKey(S.EntityId),
  reason: Schema.optionalKey(S.EntityId),
  type: Schema.optionalKey(S.EntityType),
  id: Schema.optionalKey(S.EntityId),
  flash: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(300)))
})

/** Empty form fields mean "no filter". */
const nonEmpty = (query: Record<string, string>) => Object.fromEntries(Object.entries(query).filter(([, v]) => v.trim() !== ""))

export const make = (options: PageOptions) => {
  const signedIn = (c: HonoContext) => {
    const cookie = c.req.header("cookie") ?? ""
    const value = cookie.split(/;\s*/).find((p) => p.startsWith(`${adminCookie}=`))
    return value !== undefined && sameSecret(decodeURIComponent(value.slice(adminCookie.length + 1)), options.token)
  }

  return new Hono()
    .get("/admin/ui/login", (c) => c.html(<SignIn failed={c.req.query("failed") !== undefined} />))
    .post("/admin/ui/login", async (c) => {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
      const given = typeof form.token === "string" ? form.token : ""
      if (!sameSecret(given, options.token)) return c.redirect("/admin/ui/login?failed", 303)
      setCookie(c, adminCookie, given, { httpOnly: true, sameSite: "Strict", path: "/admin", secure: new URL(c.req.url).protocol === "https:" })
      return c.redirect("/admin/ui", 303)
    })
    .post("/admin/ui/logout", (c) => {
      deleteCookie(c, adminCookie, { path: "/admin" })
      return c.redirect("/admin/ui/login", 303)
    })
    .get("/admin/ui", async (c) => {
      if (!signedIn(c)) return c.redirect("/admin/ui/login", 303)
      const decoded = Schema.decodeUnknownResult(PageFilter)(nonEmpty(c.req.query()))
      const query = Result.isSuccess(decoded) ? decoded.success : {}
      const filter = {
        ...(query.entity === undefined ? {} : { entity: query.entity }),
        ...(query.step === undefined ? {} : { step: query.step }),
        ...(query.reason === undefined ? {} : { reason: query.reason })
      }
      const lookup = query.type !== undefined && query.id !== undefined ? { type: query.type, id: query.id } : undefined
      const [checks, data] = await Promise.all([
        options.health(),
        options
          .run(
            Effect.all({
              queues: queueStatus(),
              parked: findParked({ ...filter, limit: 100 }),
              jobs: listJobs(),
              entity: lookup === undefined ? Effect.succeed(undefined) : entityStatus(lookup.type, lookup.id),
              usage: Effect.flatMap(RateBudget, (b) =>
                Effect.flatMap(
                  Effect.clockWith((clock) => clock.currentTimeMillis),
                  b.usage
                )
              ),
              tokens: Effect.flatMap(Effect.service(Metrics), (m) =>
                Effect.all({
                  live: m.total("budget_tokens_total", { lane: "live" }),
                  backfill: m.total("budget_tokens_total", { lane: "backfill" }),
                  throttled: m.total("budget_throttled_total")
                })
              )
            })
          )
          .then((d) => ({ ok: true as const, ...d }))
          .catch(() => ({ ok: false as const }))
      ])
      return c.html(
        <Layout title="crm-sync admin">
          <h1>crm-sync admin</h1>
          <form method="post" action="/admin/ui/logout">
            <button type="submit">Sign out</button>
          </form>
          {query.flash === undefined ? null : <p class="flash">{query.flash}</p>}
          {Result.isFailure(decoded) ? <p class="bad">Some filters were not valid and were ignored.</p> : null}
          <h2>Health</h2>
          <Health checks={checks} />
          {!data.ok ? (
            <p class="bad">The store or the broker is unavailable.</p>
          ) : (
            <>
              <h2>Queues</h2>
              <Queues status={data.queues} />
              <h2>Budget</h2>
              <Budget usage={data.usage} tokens={data.tokens} />
              <h2>Parked messages</h2>
              <Parked page={data.parked} filter={filter} />
              <h2>Entity</h2>
              <Entity status={data.entity} error={undefined} />
              <h2>Backfill</h2>
              <Backfill jobs={data.jobs} />
            </>
          )}
        </Layout>
      )
    })
    .post("/admin/ui/parked/:id/replay", async (c) => {
      if (!signedIn(c)) return c.redirect("/admin/ui/login", 303)
      const id = c.req.param("id")
      const flash = await options
        .run(replayParked([id]))
        .then((r) => (r.done.length > 0 ? `Replayed ${id}` : r.skipped.length > 0 ? `${id} was already replayed` : `${id} is unknown`))
        .catch(() => `Replaying ${id} failed: the store or the broker is unavailable`)
      return c.redirect(`/admin/ui?flash=${encodeURIComponent(flash)}`, 303)
    })
    .post("/admin/ui/jobs/:id/:action", async (c) => {
      if (!signedIn(c)) return c.redirect("/admin/ui/login", 303)
      const id = c.req.param("id")
      const action = Schema.decodeUnknownResult(S.JobAction)(c.req.param("action"))
      const flash = Result.isFailure(action)
        ? "Unknown job action"
        : await options
            .run(
              changeJob(id, jobTarget[action.success]).pipe(
                Effect.map((v) => `Job ${id} is ${v.job.state}`),
                Effect.catchTags({
                  JobFinished: (e) => Effect.succeed(`Job ${id} is ${e.state}: it cannot ${action.success}`),
                  JobNotFound: () => Effect.succeed(`Job ${id} is unknown`)
                })
              )
            )
            .catch(() => `Changing job ${id} failed: the store is unavailable`)
      return c.redirect(`/admin/ui?flash=${encodeURIComponent(flash)}`, 303)
    })
}
