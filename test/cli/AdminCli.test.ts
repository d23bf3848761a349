// The admin CLI against the admin API on memory adapters: arguments, tables, --json, exit codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime, Scope } from "effect"
import { Hono } from "hono"
import { type Io, main, table } from "../../scripts/admin.ts"
import { bearer } from "../../src/adapters/http/AdminAuth.ts"
import * as AdminRoutes from "../../src/adapters/http/AdminRoutes.ts"
import * as InMemoryBackfillJobs from "../../src/adapters/memory/InMemoryBackfillJobs.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { type ParkedItem, ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import type { Step } from "../../src/application/Step.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const TOKEN = "cli-token"
const layer = Layer.mergeAll(
  memoryStorePorts(),
  InMemoryBackfillJobs.layer,
  InMemoryBus.layer,
  InMemoryWebhookInbox.layer,
  InMemoryRateBudget.layer({ burst: 100, intervalMs: 10_000, daily: 1000, backfillShare: 0.5, timeZone: "UTC" })
)
const runtime = ManagedRuntime.make(layer)
const step: Step = { name: "sync-contact", bindings: ["none"], retryTiersMs: [1000], maxAttempts: 3, deliveryLimit: 3, prefetch: 10 }
let app: Hono
let scope: Scope.Closeable

const parked = (id: string, reason = "CRM rejected: 400 INVALID_EMAIL"): ParkedItem => ({
  id: `sync-contact:${id}`,
  step: "sync-contact",
  message: { id, type: "crm.contact.changed", payload: { objectId: id }, occurredAt: 1, lane: "live", attempt: 3 },
  reason,
  attempts: 3,
  firstFailedAt: 1_700_000_000_000,
  lastFailedAt: 1_700_000_000_000,
  replayedAt: undefined
})

beforeAll(async () => {
  const context = await runtime.runPromise(Effect.context<Layer.Success<typeof layer>>())
  app = new Hono().use("/admin/*", bearer(TOKEN)).route(
    "/",
    AdminRoutes.make({
      run: Effect.runPromiseWith(context),
      budget: { burst: 1, intervalMs: 1, daily: 1, backfillShare: 0, timeZone: "UTC" },
      stored: Effect.void
    })
  )
  scope = await runtime.runPromise(Scope.make())
  await runtime.runPromise(
    Effect.flatMap(MessageBus, (bus) => bus.consume(step, (b) => Effect.succeed(b.map(() => ({ _tag: "Ack" as const }))))).pipe(Scope.provide(scope))
  )
  await runtime.runPromise(
    Effect.gen(function* () {
      yield* (yield* ParkedItems).park([parked("11"), parked("12", "gave up after 6 attempts: 503"), parked("13")])
      yield* (yield* IdLinks).link([{ entity: "user", crmId: "11", commerceId: "u-11" }])
    })
  )
})
afterAll(async () => {
  await runtime.runPromise(Scope.close(scope, Effect.void as never))
  await runtime.dispose()
})

const cli = async (args: string, env: Record<string, string | undefined> = { ADMIN_TOKEN: TOKEN }) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const requests: Array<string> = []
  const io: Io = {
    fetch: async (url, init) => {
      requests.push(`${init.method} ${url}${init.body === undefined ? "" : ` ${String(init.body)}`}`)
      return app.request(url, init)
    },
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l)
  }
  const code = await main(
    args.split(" ").filter((a) => a !== ""),
    io
  )
  return { code, out: out.join("\n"), err: err.join("\n"), requests }
}

describe("admin CLI", () => {
  test("parked list: filters become query parameters, a table on the terminal", async () => {
    const { code, out, requests } = await cli("parked list --reason INVALID --from 2023-01-01T00:00:00Z --limit 10")
    expect(code).toBe(0)
    expect(requests).toEqual(["GET http://127.0.0.1:3000/admin/parked?reason=INVALID&from=1672531200000&limit=10"])
    const lines = out.split("\n")
    expect(lines[0]).toMatch(/^ID\s+STEP\s+STATE\s+ATTEMPTS\s+PARKED AT\s+REASON$/)
    expect(lines.slice(2, 4).map((l) => l.split(/\s+/)[0])).toEqual(["sync-contact:11", "sync-contact:13"])
    expect(lines.at(-1)).toBe("2 of 2")
  })

  test("--json prints the API's answer; --url and ADMIN_URL pick the service", async () => {
    const { out, requests } = await cli("parked show sync-contact:12 --json --url http://ops.example:8080/", {
      ADMIN_TOKEN: TOKEN,
      ADMIN_URL: "http://ignored"
    })
    expect(requests[0]).toBe("GET http://ops.example:8080/admin/parked/sync-contact%3A12")
    expect(JSON.parse(out)).toMatchObject({ id: "sync-contact:12", reason: "gave up after 6 attempts: 503" })
  })

  test("replay by ids or --all with a filter, discard with a note", async () => {
    expect((await cli("parked replay sync-contact:11")).out).toBe("done: 1\n  sync-contact:11\nalready settled: 0")
    expect((await cli("parked replay sync-contact:11")).out).toBe("done: 0\nalready settled: 1\n  sync-contact:11")
    const all = await cli("parked replay --all --reason 503")
    expect(all.requests[0]).toBe('POST http://127.0.0.1:3000/admin/parked/replay {"reason":"503"}')
    expect(all.out).toContain("sync-contact:12")
    const discard = await cli("parked discard sync-contact:13 --note duplicate")
    expect(discard.code).toBe(0)
    expect((await cli("parked show sync-contact:13")).out).toContain("state:     discarded")
  })

  test("entity TYPE ID shows both sides and links", async () => {
    const { code, out } = await cli("entity contact 11")
    expect(code).toBe(0)
    expect(out).toContain("contact (CRM) ⇄ user (commerce)")
    expect(out).toContain("links: 11 ⇄ u-11")
    expect(out).toContain("pending in the outbox: none")
    expect(out).toContain("queues: not inspected")
  })

  test("jobs start, list, show, pause, resume, cancel; a refused change exits 1", async () => {
    const started = await cli("jobs start --direction crm-to-commerce --type company --page-size 200 --dry-run --json")
    expect(started.code).toBe(0)
    expect(started.requests).toEqual([
      `POST http://127.0.0.1:3000/admin/jobs ${JSON.stringify({ direction: "crm-to-commerce", type: "company", pageSize: 200, dryRun: true })}`
    ])
    const id = (JSON.parse(started.out) as { job: { id: string } }).job.id
    const list = await cli("jobs list")
    expect(list.out).toContain("STATE")
    expect(list.out).toContain(id)
    expect(list.out).toContain("backfill (dry)")
    expect((await cli(`jobs pause ${id}`)).out).toContain("paused")
    expect((await cli(`jobs show ${id}`)).out).toContain("paused")
    const again = await cli(`jobs pause ${id}`)
    expect([again.code, again.err]).toEqual([1, "409: cannot pause a job that is paused"])
    expect((await cli(`jobs resume ${id}`)).out).toContain("running")
    expect((await cli(`jobs cancel ${id}`)).out).toContain("cancelled")
    expect((await cli("jobs start --direction sideways --type company")).code).toBe(1)
  })

  test("usage errors exit 2 without calling the API; API refusals exit 1 with the message", async () => {
    for (const args of [
      "",
      "parked",
      "parked frobnicate",
      "parked replay",
      "parked replay --all",
      "parked discard x",
      "entity contact",
      "parked list --bogus",
      "parked list --from yesterday",
      "jobs",
      "jobs frobnicate",
      "jobs pause",
      "jobs start --type contact",
      "jobs show a b"
    ]) {
      const r = await cli(args)
      expect([args, r.code]).toEqual([args, 2])
      expect(r.requests).toEqual([])
    }
    expect((await cli("parked list", {})).code).toBe(2)
    const refused = await cli("parked list", { ADMIN_TOKEN: "wrong" })
    expect(refused.code).toBe(1)
    expect(refused.err).toContain("401")
    const missing = await cli("parked show sync-contact:none")
    expect([missing.code, missing.err]).toEqual([1, "404: parked item not found"])
  })

  test("tables pad columns to the widest cell", () => {
    expect(table(["A", "BB"], [["xyz", "1"]])).toBe("A    BB\n---  --\nxyz  1")
  })
})
