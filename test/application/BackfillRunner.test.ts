// The backfill runner over memory adapters: pages go through the live flows in the backfill lane,
// each page once even with two runners, per-record failures are parked, a spent day rests the job.
import { expect, test } from "bun:test"
import { Effect, Fiber, Layer } from "effect"
import * as InMemoryBackfillJobs from "../../src/adapters/memory/InMemoryBackfillJobs.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import * as InMemoryObjectLeases from "../../src/adapters/memory/InMemoryObjectLeases.ts"
import { runOnce } from "../../src/application/BackfillRunner.ts"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { Lane, type LaneName } from "../../src/application/Lane.ts"
import { type BackfillJob, BackfillJobs, type JobDefinition } from "../../src/application/ports/BackfillJobs.ts"
import type { CommerceApi } from "../../src/application/ports/CommerceApi.ts"
import { Crm, CrmError, CrmQuotaExhausted } from "../../src/application/ports/Crm.ts"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { ObjectLeases } from "../../src/application/ports/ObjectLeases.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import { StoreError, StoreUnavailable } from "../../src/application/ports/StoreError.ts"
import type { WriteLedger } from "../../src/application/ports/WriteLedger.ts"
import { scheduleReconcile } from "../../src/application/ScheduleReconcile.ts"
import type { OutgoingMessage } from "../../src/application/Step.ts"
import { syncCommerceEvents } from "../../src/application/SyncCommerceEvents.ts"
import type { CompanyId } from "../../src/domain/Ids.ts"
import { aUser } from "../domain/mothers.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const aJob = (id: string, over: Partial<JobDefinition> = {}): BackfillJob => ({
  id,
  definition: { direction: "crm-to-commerce", types: ["company"], pageSize: 100, dryRun: false, kind: "backfill", ...over },
  state: "running",
  waitUntil: undefined,
  createdAt: 1,
  updatedAt: 1
})
const runner = (holder: string) => ({ holder, leaseMs: 30_000, idleMs: 10 })

interface Harness {
  readonly published: Array<OutgoingMessage>
  readonly lanes: Array<LaneName>
  readonly crm: Effect.Success<ReturnType<typeof InMemoryCrm.make>>
}

/** Memory adapters around a fresh CRM; the bus remembers what was published, the CRM in which lane. */
type Ports = BackfillJobs | Crm | CommerceApi | MessageBus | Snapshots | ParkedItems | IdLinks | WriteLedger

const harness = <A, E>(
  body: (h: Harness) => Effect.Effect<A, E, Ports>,
  options: { readonly users?: ReadonlyArray<Record<string, unknown>>; readonly crm?: (crm: Crm["Service"]) => Crm["Service"] } = {}
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const crm = yield* InMemoryCrm.make()
        const published: Array<OutgoingMessage> = []
        const lanes: Array<LaneName> = []
        const watched = Crm.of({
          ...crm,
          list: (type, range) =>
            Effect.flatMap(Lane, (lane) => {
              lanes.push(lane)
              return crm.list(type, range)
            })
        })
        const bus = Layer.effect(
          MessageBus,
          Effect.map(MessageBus, (b) =>
            MessageBus.of({
              ...b,
              publish: (messages) => {
                published.push(...messages)
                return b.publish(messages)
              }
            })
          )
        ).pipe(Layer.provide(InMemoryBus.layer))
        const layer = Layer.mergeAll(
          bus,
          InMemoryBackfillJobs.layer,
          Layer.succeed(Crm, options.crm?.(watched) ?? watched),
          InMemoryCommerceApi.layer({ user: options.users ?? [] })
        ).pipe(Layer.provideMerge(memoryStorePorts()))
        return yield* body({ published, lanes, crm }).pipe(Effect.provide(layer))
      })
    ) as Effect.Effect<A, E>
  )

/** Passes of one runner (its page sizes and pages listed ahead kept from pass to pass), until none ran a page. */
const drain = (holder: string) =>
  Effect.gen(function* () {
    const sizes = new Map<string, number>()
    const ahead = new Map()
    for (let i = 0; i < 50; i++) if (!(yield* runOnce(runner(holder), sizes, ahead))) return i
    return 50
  })

const seedCompanies = (crm: Harness["crm"], n: number) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) => crm.seed("company", { name: `Company ${i}` })
  )

/** 30 companies with three contacts each (contact i belongs to company i / 3). */
const seedCompaniesWithContacts = (crm: Harness["crm"], prefix: string) =>
  Effect.gen(function* () {
    const companies = yield* seedCompanies(crm, 30)
    const contacts = yield* Effect.forEach(
      Array.from({ length: 90 }, (_, i) => i),
      (i) => crm.seed("contact", { email: `${prefix}${i}@example.com`, firstname: `${prefix.toUpperCase()}${i}` })
    )
    yield* crm.associate(
      contacts.map((id, i) => ({ fromType: "contact" as const, fromId: id, toType: "company" as const, toId: companies[Math.floor(i / 3)]! }))
    )
    return { companies, contacts }
  })

test("a CRM → commerce job runs 250 companies in 3 pages through flow A, in the backfill lane, then is done", async () => {
  const out = await harness(({ crm, published, lanes }) =>
    Effect.gen(function* () {
      const ids = yield* seedCompanies(crm, 250)
      const jobs = yield* BackfillJobs
      yield* jobs.create([aJob("j1")])
      const pages = yield* drain("a")
      const [job] = yield* jobs.list
      const [progress] = yield* jobs.progress(["j1"])
      const snapshots = yield* (yield* Snapshots).getCrm(ids.map((id) => ({ type: "company" as const, id })))
      const upserts = published.filter((m) => m.type === "tocommerce.business.upsert")
      // Run again over the same records: already synced, nothing is published.
      yield* jobs.create([aJob("j2")])
      yield* drain("a")
      return { pages, job, progress, snapshots: snapshots.length, upserts, after: published.length, lanes, reads: crm.calls.read }
    })
  )
  expect(out.pages).toBe(3)
  expect(out.job?.state).toBe("done")
  expect(out.progress).toMatchObject({ page: 2, cursor: undefined, counts: { records: 250, synced: 250, parked: 0 } })
  expect(new Set(out.upserts.map((m) => (m.payload as { crmId: string }).crmId)).size).toBe(250)
  expect(out.upserts.every((m) => m.lane === "backfill")).toBe(true)
  expect(out.snapshots).toBe(250)
  expect(out.after).toBe(out.upserts.length)
  expect(new Set(out.lanes)).toEqual(new Set(["backfill"]))
  // The pages' list calls returned the records whole: flow A read none of them again.
  expect(out.reads).toBe(0)
})

test("the next page is listed while the page before runs through the flow, and is not listed again when its turn comes", async () => {
  const lists: Array<{ readonly after: string | undefined; readonly publishedBefore: number }> = []
  let published: Array<OutgoingMessage> = []
  const out = await harness(
    (h) =>
      Effect.gen(function* () {
        published = h.published
        yield* seedCompanies(h.crm, 250)
        yield* (yield* BackfillJobs).create([aJob("ahead")])
        yield* drain("a")
        return { progress: yield* (yield* BackfillJobs).progress(["ahead"]), upserts: published.filter((m) => m.type === "tocommerce.business.upsert").length }
      }),
    {
      crm: (crm) =>
        Crm.of({
          ...crm,
          list: (type, range) =>
            Effect.andThen(
              Effect.sync(() => lists.push({ after: range.after, publishedBefore: published.length })),
              crm.list(type, range)
            )
        })
    }
  )
  expect(out.progress).toMatchObject([{ page: 2, cursor: undefined, counts: { records: 250, synced: 250 } }])
  expect(out.upserts).toBe(250)
  // Three pages, three lists: page 1 was listed before page 0 published anything, page 2 before page 1 did.
  expect(lists.map((l) => l.publishedBefore)).toEqual([0, 0, 100])
})

test("companies and contacts in one job: each contact is read and sent once, in its own page, with its company's link", async () => {
  const out = await harness(
    ({ crm, published }) =>
      Effect.gen(function* () {
        const { companies, contacts } = yield* seedCompaniesWithContacts(crm, "c")
        yield* (yield* BackfillJobs).create([aJob("j1", { types: ["company", "contact"], pageSize: 40 })])
        yield* drain("a")
        return {
          companies,
          contacts,
          users: published.filter((m) => m.type === "tocommerce.user.upsert").map((m) => m.payload as { crmId: string; links?: unknown })
        }
      }),
    {
      crm: (crm) =>
        Crm.of({
          ...crm,
          read: (type, ids) => {
            if (type === "contact") contactReads.push(...ids)
            return crm.read(type, ids)
          },
          list: (type, range) =>
            Effect.tap(crm.list(type, range), (page) =>
              Effect.sync(() => {
                if (type === "contact") contactReads.push(...page.records.map((r) => r.id))
              })
            )
        })
    }
  )
  // A page of companies no longer brings their contacts along: the contacts' own pages do, and
  // flow A takes the records the page listed instead of reading them again.
  expect(contactReads.length).toBe(90)
  expect(new Set(contactReads).size).toBe(90)
  expect(out.users.map((u) => u.crmId).sort()).toEqual([...out.contacts].sort())
  const business = out.users.find((u) => u.crmId === out.contacts[4])
  expect(JSON.stringify(business)).toContain(out.companies[1]!)
})
const contactReads: Array<string> = []

test("a contact page reads no company synced already (a known shop id, or a snapshot); a link to one without a known shop id stays pending", async () => {
  const companyReads: Array<string> = []
  const out = await harness(
    ({ crm, published }) =>
      Effect.gen(function* () {
        const { companies, contacts } = yield* seedCompaniesWithContacts(crm, "k")
        // Companies 0-9 were synced and the shop's ids came back; 10-19 were sent, their ids not back yet; 20-29 never synced.
        yield* (yield* IdLinks).link(companies.slice(0, 10).map((crmId, i) => ({ entity: "business" as const, crmId, commerceId: `b-${i}` })))
        const sent = yield* crm.read("company", companies.slice(0, 20) as unknown as ReadonlyArray<CompanyId>)
        yield* (yield* Snapshots).saveCrm(sent.map((record) => ({ type: "company" as const, id: record.id, version: record.updatedAt, record })))
        yield* (yield* BackfillJobs).create([aJob("k", { types: ["contact"], pageSize: 100 })])
        yield* drain("a")
        const snapshots = yield* (yield* Snapshots).getCrm(contacts.map((id) => ({ type: "contact" as const, id })))
        const users = published.filter((m) => m.type === "tocommerce.user.upsert").length
        const businesses = published.filter((m) => m.type === "tocommerce.business.upsert").map((m) => (m.payload as { crmId: string }).crmId)
        return { companies, contacts, snapshots, users, businesses }
      }),
    {
      crm: (crm) =>
        Crm.of({
          ...crm,
          read: (type, ids) => {
            if (type === "company") companyReads.push(...ids)
            return crm.read(type, ids)
          }
        })
    }
  )
  expect(out.users).toBe(90)
  // Only the companies never synced are read, and they travel with their contacts.
  expect([...new Set(companyReads)].sort()).toEqual(out.companies.slice(20).sort())
  expect(out.businesses.sort()).toEqual(out.companies.slice(20).sort())
  const companyOf = (s: (typeof out.snapshots)[number]) => JSON.stringify((s.record as { companyIds?: unknown }).companyIds)
  const byContact = new Map(out.snapshots.map((s) => [s.id, companyOf(s)]))
  // A known shop id: no pending mark. Sent but no id back yet, or never synced: pending (issue 9).
  expect(byContact.get(out.contacts[0]!)).toBe(JSON.stringify([out.companies[0]]))
  expect(byContact.get(out.contacts[45]!)).toBe(JSON.stringify([`pending:${out.companies[15]}`]))
  expect(byContact.get(out.contacts[89]!)).toBe(JSON.stringify([`pending:${out.companies[29]}`]))
})

test("no page starts while the steps' queues hold more than the allowed backlog; pages run again once it is worked off", async () => {
  const out = await harness(({ crm, published }) =>
    Effect.gen(function* () {
      yield* seedCompanies(crm, 250)
      yield* (yield* BackfillJobs).create([aJob("j1")])
      const bus = yield* MessageBus
      // 5 messages wait for a step, 2 on its intake and 3 on its partitions; the parking queue's do not count.
      const depths = Effect.succeed([
        { step: "sync-commerce-entity", queue: "main", messages: 2, consumers: 1 },
        { step: "sync-commerce-entity", queue: "partitions", messages: 3, consumers: 1 },
        { step: undefined, queue: "parking", messages: 100, consumers: 0 }
      ])
      const busy = MessageBus.of({ ...bus, depths })
      const held = yield* runOnce({ ...runner("a"), maxBacklog: 4 }).pipe(Effect.provideService(MessageBus, busy))
      const heldPublished = published.length
      const under = yield* runOnce({ ...runner("a"), maxBacklog: 5 }).pipe(Effect.provideService(MessageBus, busy))
      const unlimited = yield* runOnce({ ...runner("a"), maxBacklog: 0 }).pipe(Effect.provideService(MessageBus, busy))
      return { held, heldPublished, under, unlimited }
    })
  )
  expect(out).toEqual({ held: false, heldPublished: 0, under: true, unlimited: true })
})

test("while held back by the backlog, a pass asks the broker only; once it is worked off, the store again, and a page runs", async () => {
  const out = await harness(({ crm, published }) =>
    Effect.gen(function* () {
      yield* seedCompanies(crm, 50)
      const jobs = yield* BackfillJobs
      yield* jobs.create([aJob("j1")])
      const bus = yield* MessageBus
      let waiting = 10
      let depthChecks = 0
      let storeReads = 0
      const counted = MessageBus.of({
        ...bus,
        depths: Effect.sync(() => {
          depthChecks++
          return [{ step: "s", queue: "main", messages: waiting, consumers: 1 }]
        })
      })
      const read = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.andThen(
          Effect.sync(() => {
            storeReads++
          }),
          effect
        )
      const countedJobs = BackfillJobs.of({ ...jobs, list: read(jobs.list), progress: (ids) => read(jobs.progress(ids)) })
      const hold = { held: false }
      const pass = runOnce({ ...runner("a"), maxBacklog: 4 }, new Map(), new Map(), hold).pipe(
        Effect.provideService(MessageBus, counted),
        Effect.provideService(BackfillJobs, countedJobs)
      )
      const first = yield* pass
      const afterFirst = { depthChecks, storeReads, held: hold.held }
      const second = yield* pass
      const third = yield* pass
      const whileHeld = { depthChecks: depthChecks - afterFirst.depthChecks, storeReads: storeReads - afterFirst.storeReads }
      waiting = 0
      const ran = yield* pass
      return { first, afterFirst, second, third, whileHeld, ran, held: hold.held, published: published.length > 0 }
    })
  )
  expect(out).toEqual({
    first: false,
    afterFirst: { depthChecks: 1, storeReads: 2, held: true },
    second: false,
    third: false,
    whileHeld: { depthChecks: 2, storeReads: 0 },
    ran: true,
    held: false,
    published: true
  })
})

test("a page that fails for a slow store is run again smaller, and the job completes instead of failing the same page forever", async () => {
  const out = await harness(({ crm, published }) =>
    Effect.gen(function* () {
      yield* seedCompanies(crm, 150)
      const jobs = yield* BackfillJobs
      yield* jobs.create([aJob("j1", { pageSize: 200 })])
      const snapshots = yield* Snapshots
      // A store that times out when asked about more than 60 keys at once.
      const asked: Array<number> = []
      const slow = Snapshots.of({
        ...snapshots,
        getCrm: (keys) => {
          asked.push(keys.length)
          return keys.length > 60 ? Effect.fail(new StoreError({ reason: new StoreUnavailable({ message: "socket timeout" }) })) : snapshots.getCrm(keys)
        }
      })
      const sizes = new Map<string, number>()
      for (let i = 0; i < 40 && (yield* jobs.list)[0]?.state !== "done"; i++) yield* runOnce(runner("a"), sizes).pipe(Effect.provideService(Snapshots, slow))
      const [job] = yield* jobs.list
      const [progress] = yield* jobs.progress(["j1"])
      return {
        state: job?.state,
        records: progress?.counts["records"],
        upserted: new Set(published.map((m) => (m.payload as { crmId: string }).crmId)).size,
        asked
      }
    })
  )
  expect(out.state).toBe("done")
  expect(out.records).toBe(150)
  expect(out.upserted).toBe(150)
  // The page of 150 failed (flow A takes a CRM page as two halves at once: 75 keys each), then
  // pages of 100 went through (halves of 50), then pages of at most 60.
  const fit = out.asked.findIndex((n) => n <= 60)
  expect(fit).toBeGreaterThan(0)
  expect(out.asked.slice(0, fit)).toEqual(out.asked.slice(0, fit).map(() => 75))
  expect(out.asked[fit]).toBe(50)
  expect(Math.max(...out.asked.filter((n) => n <= 60))).toBeLessThanOrEqual(60)
})

test("two runners on one job split its pages and finish each once", async () => {
  const out = await harness(({ crm, published }) =>
    Effect.gen(function* () {
      yield* seedCompanies(crm, 1_000)
      yield* (yield* BackfillJobs).create([aJob("j", { pageSize: 50 })])
      yield* Effect.all([drain("a"), drain("b")], { concurrency: "unbounded" })
      const [progress] = yield* (yield* BackfillJobs).progress(["j"])
      return { progress, upserts: published.filter((m) => m.type === "tocommerce.business.upsert").length }
    })
  )
  expect(out.progress).toMatchObject({ page: 19, counts: { records: 1_000, synced: 1_000 } })
  expect(out.upserts).toBe(1_000)
})

test("a dry run counts what it would write and writes nothing", async () => {
  const out = await harness(({ crm, published }) =>
    Effect.gen(function* () {
      const ids = yield* seedCompanies(crm, 120)
      yield* (yield* BackfillJobs).create([aJob("dry", { dryRun: true })])
      yield* drain("a")
      const [progress] = yield* (yield* BackfillJobs).progress(["dry"])
      const snapshots = yield* (yield* Snapshots).getCrm(ids.map((id) => ({ type: "company" as const, id })))
      return { progress, published: published.length, snapshots: snapshots.length }
    })
  )
  expect(out.progress?.counts).toMatchObject({ records: 120, "would create": 120, unchanged: 0 })
  expect(out.published).toBe(0)
  expect(out.snapshots).toBe(0)
})

test("commerce → CRM: valid users are upserted to the CRM, an invalid one is parked and the job goes on", async () => {
  const users = [...Array.from({ length: 30 }, (_, i) => aUser({ id: `u${i}`, email: `u${i}@example.com` })), aUser({ id: "u-bad", email: "not an e-mail" })]
  const out = await harness(
    ({ crm }) =>
      Effect.gen(function* () {
        yield* (yield* BackfillJobs).create([aJob("c", { direction: "commerce-to-crm", types: ["user"], pageSize: 20 })])
        yield* drain("a")
        const [job] = yield* (yield* BackfillJobs).list
        const [progress] = yield* (yield* BackfillJobs).progress(["c"])
        const parked = yield* (yield* ParkedItems).list({})
        const listed = yield* crm.list("contact", { limit: 100 })
        return { job, progress, parked, contacts: listed.records.length }
      }),
    { users }
  )
  expect(out.job?.state).toBe("done")
  expect(out.progress?.counts).toMatchObject({ records: 31, synced: 30, parked: 1 })
  expect(out.contacts).toBe(30)
  expect(out.parked.map((p) => [p.step, (p.message.payload as { id: string }).id])).toEqual([["sync-commerce-entity", "u-bad"]])
})

test("commerce → CRM: a user live flow C is writing (its lease held) waits for it, is not parked, and is then found synced: written once, by live", async () => {
  const users = [aUser({ id: "u1", email: "u1@example.com" }), aUser({ id: "u2", email: "u2@example.com" })]
  const upserts: Array<string> = []
  const out = await harness(
    () =>
      Effect.gen(function* () {
        const leases = yield* ObjectLeases
        yield* leases.take({ keys: ["user:u1"], holder: "live", now: Date.now(), leaseMs: 30_000 })
        // Live flow C holds u1 while it writes it, then lets go.
        const live = Effect.gen(function* () {
          yield* Effect.sleep(300)
          const event = {
            id: "live-1",
            type: routingKeys.commerceEvent("user", "created"),
            payload: { id: "u1", occurredAt: 1, payload: users[0] },
            occurredAt: 1
          }
          const failures = yield* syncCommerceEvents([{ ...event, lane: "live", attempt: 1 }])
          yield* leases.release(["user:u1"], "live")
          return failures
        })
        const writing = yield* Effect.forkChild(live)
        yield* (yield* BackfillJobs).create([aJob("c", { direction: "commerce-to-crm", types: ["user"], pageSize: 20 })])
        yield* drain("a")
        const liveFailures = yield* Fiber.join(writing)
        const [progress] = yield* (yield* BackfillJobs).progress(["c"])
        return { progress, parked: (yield* (yield* ParkedItems).list({})).length, liveFailures }
      }).pipe(Effect.provide(InMemoryObjectLeases.layer)),
    {
      users,
      crm: (crm) =>
        Crm.of({
          ...crm,
          upsert: (type, inputs) =>
            Effect.flatMap(Lane, (lane) => {
              upserts.push(...inputs.map((i) => `${lane} ${i.commerceId}`))
              return crm.upsert(type, inputs)
            })
        })
    }
  )
  expect(out.liveFailures).toEqual([undefined])
  expect(out.parked).toBe(0)
  expect(out.progress?.counts).toMatchObject({ records: 2, synced: 2 })
  expect(upserts.filter((u) => u.endsWith(" u1"))).toEqual(["live u1"])
  expect(upserts).toContain("backfill u2")
})

test("a spent daily quota rests the job until the reset, and it completes afterwards", async () => {
  let spentUntil = Date.now() + 300
  const out = await harness(
    ({ crm }) =>
      Effect.gen(function* () {
        yield* seedCompanies(crm, 150)
        const jobs = yield* BackfillJobs
        yield* jobs.create([aJob("q")])
        yield* drain("a")
        const [resting] = yield* jobs.list
        const during = yield* jobs.progress(["q"])
        yield* Effect.sleep("350 millis")
        yield* drain("a")
        const [after] = yield* jobs.list
        return { resting, during, after, progress: yield* jobs.progress(["q"]) }
      }),
    {
      crm: (crm) => ({
        ...crm,
        list: (type, range) =>
          range.after !== undefined && Date.now() < spentUntil
            ? Effect.fail(new CrmError({ reason: new CrmQuotaExhausted({ retryAfterMs: spentUntil - Date.now(), resetAt: spentUntil }) }))
            : crm.list(type, range)
      })
    }
  )
  expect(out.resting).toMatchObject({ state: "running", waitUntil: spentUntil })
  expect(out.during).toMatchObject([{ page: 0 }])
  expect(out.after?.state).toBe("done")
  expect(out.progress).toMatchObject([{ page: 1, counts: { records: 150 } }])
  spentUntil = 0
})

test("a spent day whose next probe is due now still rests the job a second, not a loop of page attempts", async () => {
  const resetAt = Date.now() + 3_600_000
  let attempts = 0
  const out = await harness(
    ({ crm }) =>
      Effect.gen(function* () {
        yield* seedCompanies(crm, 150)
        const jobs = yield* BackfillJobs
        yield* jobs.create([aJob("zero")])
        const startedAt = Date.now()
        yield* drain("a")
        const [resting] = yield* jobs.list
        return { resting, startedAt }
      }),
    {
      crm: (crm) => ({
        ...crm,
        list: (type, range) => {
          if (range.after === undefined) return crm.list(type, range)
          attempts++
          return Effect.fail(new CrmError({ reason: new CrmQuotaExhausted({ retryAfterMs: 0, resetAt }) }))
        }
      })
    }
  )
  expect(out.resting?.state).toBe("running")
  expect(out.resting?.waitUntil).toBeGreaterThanOrEqual(out.startedAt + 1_000)
  expect(out.resting?.waitUntil).toBeLessThan(resetAt)
  // The read-ahead's listing of page 1 (during page 0) and page 1's own try: then the job rests.
  expect(attempts).toBeLessThanOrEqual(2)
})

test("reconcile picks up a change whose webhook never came, and leaves synced records alone", async () => {
  const out = await harness(({ crm, published }) =>
    Effect.gen(function* () {
      const ids = yield* seedCompanies(crm, 5)
      const jobs = yield* BackfillJobs
      yield* jobs.create([aJob("initial")])
      yield* drain("a")
      const synced = published.length
      // The first reconcile's window covers the backfilled records: all already synced.
      const first = yield* scheduleReconcile(200)
      const again = yield* scheduleReconcile(200)
      yield* drain("a")
      const quiet = published.length - synced
      yield* Effect.sleep("10 millis")
      yield* crm.update("company", [{ id: ids[2]! as CompanyId, properties: { name: "Renamed without a webhook" } }])
      yield* Effect.sleep("250 millis")
      const second = yield* scheduleReconcile(200)
      yield* drain("a")
      const runs = (yield* jobs.list).filter((j) => j.definition.kind === "reconcile")
      return { first, again, quiet, second, fresh: published.slice(synced), runs }
    })
  )
  expect([out.first, out.again, out.second]).toEqual([true, false, true])
  expect(out.quiet).toBe(0)
  expect(out.fresh.map((m) => (m.payload as { fields: Record<string, unknown> }).fields)).toEqual([
    expect.objectContaining({ name: "Renamed without a webhook" })
  ])
  expect(out.runs.map((j) => j.state)).toEqual(["done", "done"])
  expect(out.runs[1]!.definition.modifiedSince).toBe(out.runs[0]!.definition.modifiedUntil! - 60_000)
})
