// The admin CLI over the admin HTTP API:
//   bun run admin parked list [--step S] [--type T] [--entity ID] [--reason TEXT] [--from T] [--to T] [--settled] [--limit N] [--offset N]
//   bun run admin parked show ID
//   bun run admin parked replay ID... | --all [filters]
//   bun run admin parked discard ID... --note TEXT
//   bun run admin entity TYPE ID
//   bun run admin jobs list | show ID | start --direction D --type T [--page-size N] [--dry-run] | pause|resume|cancel ID
// Reads ADMIN_URL (default http://127.0.0.1:3000) and ADMIN_TOKEN; --json prints the API's answer.
import { parseArgs } from "node:util"

export interface Io {
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>
  readonly env: Record<string, string | undefined>
  readonly out: (line: string) => void
  readonly err: (line: string) => void
}

export const usage = `usage: bun run admin <command> [options]
  parked list [--step S] [--type T] [--entity ID] [--reason TEXT] [--from TIME] [--to TIME] [--settled] [--limit N] [--offset N]
  parked show ID
  parked replay ID... | parked replay --all [filters as for list]
  parked discard ID... --note TEXT
  entity TYPE ID          TYPE: contact|company|order (CRM id) or user|business|purchase (commerce id)
  jobs list | jobs show ID | jobs pause|resume|cancel ID
  jobs start --direction crm-to-commerce|commerce-to-crm --type contact|company|order|all [--page-size N] [--dry-run]
options: --json (the API's answer as JSON)  --url URL (or ADMIN_URL)  token: ADMIN_TOKEN
TIME: epoch ms or an ISO date`

const options = {
  json: { type: "boolean" },
  url: { type: "string" },
  step: { type: "string" },
  type: { type: "string" },
  entity: { type: "string" },
  reason: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  settled: { type: "boolean" },
  limit: { type: "string" },
  offset: { type: "string" },
  all: { type: "boolean" },
  note: { type: "string" },
  direction: { type: "string" },
  "page-size": { type: "string" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"]

class UsageError extends Error {}

/** Epoch ms as given, or an ISO date converted. */
const time = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined
  if (/^\d+$/.test(text)) return text
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new UsageError(`not a time: ${text}`)
  return String(ms)
}

const filters = (v: Values): Record<string, string> =>
  Object.fromEntries(
    Object.entries({ step: v.step, type: v.type, entity: v.entity, reason: v.reason, from: time(v.from), to: time(v.to) }).filter(
      (e): e is [string, string] => e[1] !== undefined
    )
  )

const iso = (ms: unknown) => (typeof ms === "number" ? new Date(ms).toISOString().replace(".000Z", "Z") : "")

/** A plain text table: columns padded to their widest cell. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

interface ParkedView {
  id: string
  step: string
  reason: string
  attempts: number
  lastFailedAt: number
  replayedAt?: number
  discarded?: { at: number; note: string }
  message: { type: string; payload: unknown }
}
const state = (p: ParkedView) => (p.discarded !== undefined ? "discarded" : p.replayedAt !== undefined ? "replayed" : "parked")

const render = {
  list: (body: { total: number; items: Array<ParkedView> }) =>
    `${table(
      ["ID", "STEP", "STATE", "ATTEMPTS", "PARKED AT", "REASON"],
      body.items.map((p) => [p.id, p.step, state(p), String(p.attempts), iso(p.lastFailedAt), clip(p.reason, 80)])
    )}\n${body.items.length} of ${body.total}`,
  show: (p: ParkedView) =>
    [
      `id:        ${p.id}`,
      `step:      ${p.step}`,
      `type:      ${p.message.type}`,
      `state:     ${state(p)}${p.replayedAt === undefined ? "" : ` at ${iso(p.replayedAt)}`}${p.discarded === undefined ? "" : ` at ${iso(p.discarded.at)}: ${p.discarded.note}`}`,
      `attempts:  ${p.attempts}`,
      `parked at: ${iso(p.lastFailedAt)}`,
      `reason:    ${p.reason}`,
      `payload:   ${JSON.stringify(p.message.payload, null, 2)}`
    ].join("\n"),
  settled: (body: { done: Array<string>; skipped: Array<string>; unknown: Array<string> }) =>
    [
      `done: ${body.done.length}`,
      ...body.done.map((id) => `  ${id}`),
      `already settled: ${body.skipped.length}`,
      ...body.skipped.map((id) => `  ${id}`),
      ...(body.unknown.length === 0 ? [] : [`unknown: ${body.unknown.join(", ")}`])
    ].join("\n"),
  entity: (body: {
    entity: string
    crmType: string
    crm: Array<{ id: string; version?: number }>
    commerce: Array<{ id: string; version?: number; deleted: boolean }>
    links: Array<{ crmId: string; commerceId: string }>
    parked: Array<ParkedView>
    pending?: Array<{ change: { kind: string; objectId: string; propertyName?: string; occurredAt: number }; receivedAt: number }>
    queues?: string
  }) =>
    [
      `${body.crmType} (CRM) ⇄ ${body.entity} (commerce)`,
      table(
        ["SIDE", "ID", "LAST SYNCED VERSION"],
        [
          ...body.crm.map((s) => ["crm", s.id, iso(s.version)]),
          ...body.commerce.map((s) => ["commerce", s.id, `${iso(s.version)}${s.deleted ? " (deleted)" : ""}`])
        ]
      ),
      `links: ${body.links.length === 0 ? "none" : body.links.map((l) => `${l.crmId} ⇄ ${l.commerceId}`).join(", ")}`,
      body.parked.length === 0 ? "parked: none" : render.list({ total: body.parked.length, items: body.parked }),
      `pending in the outbox: ${(body.pending ?? []).length === 0 ? "none" : (body.pending ?? []).map((e) => `${e.change.kind}${e.change.propertyName === undefined ? "" : ` ${e.change.propertyName}`} of ${e.change.objectId} at ${iso(e.change.occurredAt)}`).join(", ")}`,
      ...(body.queues === undefined ? [] : [`queues: ${body.queues}`])
    ].join("\n")
}

interface JobView {
  job: { id: string; state: string; waitUntil?: number; definition: { kind: string; direction: string; types: Array<string>; dryRun: boolean } }
  pages: number
  counts: Record<string, number>
  rate: number
}
const jobRow = (v: JobView) => [
  v.job.id,
  `${v.job.definition.kind}${v.job.definition.dryRun ? " (dry)" : ""}`,
  `${v.job.definition.direction}: ${v.job.definition.types.join(",")}`,
  `${v.job.state}${v.job.waitUntil === undefined ? "" : ` until ${iso(v.job.waitUntil)}`}`,
  String(v.pages),
  Object.entries(v.counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(", "),
  v.rate.toFixed(1)
]
const jobHeader = ["ID", "KIND", "TYPES", "STATE", "PAGES", "COUNTS", "REC/S"]
const renderJobs = {
  list: (body: { jobs: Array<JobView> }) => (body.jobs.length === 0 ? "no jobs" : table(jobHeader, body.jobs.map(jobRow))),
  one: (v: JobView) => table(jobHeader, [jobRow(v)])
}

const jobsRequest = (command: string | undefined, rest: ReadonlyArray<string>, v: Values): Request => {
  const id = () => {
    if (rest.length !== 1) throw new UsageError(`jobs ${command} takes one id`)
    return encodeURIComponent(rest[0] ?? "")
  }
  switch (command) {
    case "list":
      return { method: "GET", path: "/admin/jobs", render: renderJobs.list }
    case "show":
      return { method: "GET", path: `/admin/jobs/${id()}`, render: renderJobs.one }
    case "start": {
      if (v.direction === undefined || v.type === undefined) throw new UsageError("jobs start needs --direction and --type")
      const pageSize = v["page-size"] === undefined ? {} : { pageSize: Number(v["page-size"]) }
      return {
        method: "POST",
        path: "/admin/jobs",
        body: { direction: v.direction, type: v.type, ...pageSize, dryRun: v["dry-run"] === true },
        render: renderJobs.one
      }
    }
    case "pause":
    case "resume":
    case "cancel":
      return { method: "POST", path: `/admin/jobs/${id()}/${command}`, render: renderJobs.one }
    default:
      throw new UsageError(`unknown jobs command: ${command ?? "(none)"}`)
  }
}

type Request = { readonly method: "GET" | "POST"; readonly path: string; readonly body?: unknown; readonly render: (body: never) => string }

const request = (positionals: ReadonlyArray<string>, v: Values): Request => {
  const [group, command, ...rest] = positionals
  const id = (what: string) => {
    if (rest.length !== 1) throw new UsageError(`${what} takes one id`)
    return encodeURIComponent(rest[0] ?? "")
  }
  if (group === "entity") {
    if (command === undefined || rest.length !== 1) throw new UsageError("entity takes TYPE and ID")
    return { method: "GET", path: `/admin/entities/${encodeURIComponent(command)}/${encodeURIComponent(rest[0] ?? "")}`, render: render.entity }
  }
  if (group === "jobs") return jobsRequest(command, rest, v)
  if (group !== "parked") throw new UsageError(`unknown command: ${group ?? "(none)"}`)
  switch (command) {
    case "list": {
      const query = new URLSearchParams({
        ...filters(v),
        ...(v.settled === true ? { settled: "true" } : {}),
        ...(v.limit === undefined ? {} : { limit: v.limit }),
        ...(v.offset === undefined ? {} : { offset: v.offset })
      })
      return { method: "GET", path: `/admin/parked${query.size === 0 ? "" : `?${query}`}`, render: render.list }
    }
    case "show":
      return { method: "GET", path: `/admin/parked/${id("show")}`, render: render.show }
    case "replay":
      if (v.all === true) {
        if (Object.keys(filters(v)).length === 0)
          throw new UsageError("replay --all needs at least one filter (--step, --type, --entity, --reason, --from, --to)")
        return { method: "POST", path: "/admin/parked/replay", body: filters(v), render: render.settled }
      }
      if (rest.length === 0) throw new UsageError("replay takes ids, or --all with filters")
      return { method: "POST", path: "/admin/parked/replay", body: { ids: rest }, render: render.settled }
    case "discard":
      if (v.note === undefined || v.note.trim() === "") throw new UsageError("discard needs --note TEXT")
      if (rest.length !== 1) throw new UsageError("discard takes one id")
      return { method: "POST", path: `/admin/parked/${id("discard")}/discard`, body: { note: v.note }, render: render.settled }
    default:
      throw new UsageError(`unknown parked command: ${command ?? "(none)"}`)
  }
}

/** Runs one command; returns the exit code (0 ok, 1 the API refused, 2 usage). */
export const main = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  let parsed: { values: Values; positionals: Array<string> }
  let req: Request
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
    if (parsed.values.help === true || parsed.positionals.length === 0) {
      io.out(usage)
      return parsed.values.help === true ? 0 : 2
    }
    req = request(parsed.positionals, parsed.values)
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${usage}`)
    return 2
  }
  const token = io.env.ADMIN_TOKEN
  if (token === undefined || token === "") {
    io.err("ADMIN_TOKEN is not set")
    return 2
  }
  const base = (parsed.values.url ?? io.env.ADMIN_URL ?? "http://127.0.0.1:3000").replace(/\/$/, "")
  const response = await io
    .fetch(`${base}${req.path}`, {
      method: req.method,
      headers: { authorization: `Bearer ${token}`, ...(req.body === undefined ? {} : { "content-type": "application/json" }) },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) })
    })
    .catch((error: unknown) => error as Error)
  if (response instanceof Error) {
    io.err(`cannot reach ${base}: ${response.message}`)
    return 1
  }
  const text = await response.text()
  const body = (() => {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  })()
  if (!response.ok) {
    io.err(`${response.status}: ${typeof body === "object" && body !== null && "error" in body ? String(body.error) : text}`)
    return 1
  }
  io.out(parsed.values.json === true ? JSON.stringify(body, null, 2) : req.render(body as never))
  return 0
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), {
    fetch: (url, init) => fetch(url, init),
    env: process.env,
    out: (l) => console.log(l),
    err: (l) => console.error(l)
  })
  process.exit(code)
}
