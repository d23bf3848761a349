// What one call costs the test simulators at the size of issue 10's backfill benchmark: seeds the
// HubSpot simulator as bench/backfill.ts does (--companies companies, 3 contacts each, each contact
// associated with its company, through the CRM UI) and the commerce simulator with --users shop
// users, then times the calls that benchmark makes, each over HTTP, at the start, middle and end of
// the ids (median of up to --reps runs; a call slower than --budget seconds in all is run once).
// No services needed: both simulators run in this process. Prints one table.
// Usage: bun bench/simulators.ts [--companies 100000] [--users 100000] [--reps 5] [--budget 5] [--assoc-batch 1000]
import { parseArgs } from "node:util"
import { PlatformState } from "../test/support/commerce/PlatformState.ts"
import { startRestServer } from "../test/support/commerce/RestServer.ts"
import { startHubSpotSimulator } from "../test/support/hubspot/HubSpotSimulator.ts"
import { seededUser, seedUsers } from "./backfill/SeedUsers.ts"

const { values: args } = parseArgs({
  options: {
    companies: { type: "string", default: "100000" },
    users: { type: "string", default: "100000" },
    reps: { type: "string", default: "5" },
    budget: { type: "string", default: "5" },
    "assoc-batch": { type: "string", default: "1000" }
  }
})
const companies = Number(args.companies)
const users = Number(args.users)
const reps = Number(args.reps)
const budgetMs = Number(args.budget) * 1000
const assocBatch = Number(args["assoc-batch"])

const rssMb = () => {
  Bun.gc(true)
  return process.memoryUsage().rss / 1024 / 1024
}
const rows: Array<{ figure: string; ms: string; runs: number; note: string }> = []
const row = (figure: string, ms: number, runs: number, note = "") => {
  rows.push({ figure, ms: ms.toFixed(ms < 10 ? 2 : 0), runs, note })
  console.error(`${figure}: ${ms.toFixed(2)} ms (${runs} runs) ${note}`)
}

/** Median milliseconds of `run` over up to `reps` runs (fewer once `budgetMs` is spent); `run(n)` gets the run's number. */
const timed = async (figure: string, run: (n: number) => Promise<string | undefined>) => {
  const times: Array<number> = []
  let note: string | undefined
  let spent = 0
  while (times.length < reps && (times.length === 0 || spent < budgetMs)) {
    const started = performance.now()
    note = await run(times.length)
    const ms = performance.now() - started
    times.push(ms)
    spent += ms
  }
  times.sort((a, b) => a - b)
  row(figure, times[Math.floor(times.length / 2)] ?? Number.NaN, times.length, note ?? "")
}

const hubspot = await startHubSpotSimulator({ burstLimit: 1e9, dailyLimit: 1e12, searchPerSecond: 1e9 })
const headers = { authorization: "Bearer test-token", "content-type": "application/json" }
/** One call; fails the bench on an unexpected status; the note says what came back. */
const call = async (method: string, path: string, body?: unknown, expected = [200, 201, 207]) => {
  // No client timeout: a call that takes minutes is a figure, not a failure.
  const res = await fetch(`${hubspot.url}${path}`, { method, headers, timeout: false, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await res.text()
  if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`)
  return JSON.parse(text) as { results?: Array<unknown>; errors?: Array<unknown>; total?: number; paging?: unknown }
}
const props = "email,firstname,lastname,ecommerce_user_id"

try {
  await call("POST", "/crm/v3/properties/contacts", {
    name: "ecommerce_user_id",
    label: "Shop user id",
    type: "string",
    fieldType: "text",
    groupName: "contactinformation",
    hasUniqueValue: true
  })
  const rssBefore = rssMb()
  let started = performance.now()
  const companyIds: Array<string> = []
  const contactIds: Array<string> = []
  for (let i = 0; i < companies; i++) {
    const company = hubspot.ui.create("companies", { name: `Bench ${i}`, domain: `bench${i}.example.com` })
    companyIds.push(company.id)
    for (let c = 0; c < 3; c++) {
      const contact = hubspot.ui.create("contacts", { email: `b${i}-${c}@bench.example.com`, firstname: `B${i}`, lastname: `C${c}` })
      contactIds.push(contact.id)
      hubspot.ui.associate("contacts", contact.id, "companies", company.id)
    }
  }
  const seedMs = performance.now() - started
  row(
    `seed HubSpot: ${companies} companies + ${3 * companies} contacts + ${3 * companies} associations (ui.create, ui.associate)`,
    seedMs,
    1,
    `RSS +${(rssMb() - rssBefore).toFixed(0)} MB; ${hubspot.events.length} events kept`
  )

  started = performance.now()
  const seed = seedUsers(users)
  const platform = new PlatformState({ user: seed })
  row(`seed commerce: ${users} users (PlatformState seed)`, performance.now() - started, 1, `RSS now ${rssMb().toFixed(0)} MB in all`)
  const shop = startRestServer(platform, {})

  const at = (ids: ReadonlyArray<string>, where: "start" | "middle" | "end", count: number) => {
    const from = where === "start" ? 0 : where === "middle" ? Math.floor(ids.length / 2) : ids.length - count
    return ids.slice(from, from + count)
  }
  for (const where of ["start", "middle", "end"] as const) {
    const after = at(contactIds, where, 100)[0]
    await timed(`list 100 contacts with properties, ${where}`, async () => {
      const page = await call("GET", `/crm/v3/objects/contacts?limit=100&properties=${props}&after=${after}`)
      return `${page.results?.length} results`
    })
  }
  const middle = at(contactIds, "middle", 100)[0]
  await timed("list 100 contacts with properties and associations=companies, middle", async () => {
    const page = await call("GET", `/crm/v3/objects/contacts?limit=100&properties=${props}&associations=companies&after=${middle}`)
    return `${page.results?.length} results`
  })
  for (const where of ["start", "end"] as const) {
    const ids = at(contactIds, where, 100)
    await timed(`batch read of 100 contacts, ${where}`, async () => {
      const res = await call("POST", "/crm/v3/objects/contacts/batch/read", { inputs: ids.map((id) => ({ id })), properties: props.split(",") })
      return `${res.results?.length} results`
    })
  }
  const byEmail = at(contactIds, "end", 100).map((id) => hubspot.state.find("contacts", id)?.properties["email"] ?? "")
  await timed("batch read of 100 contacts by email (idProperty), end", async () => {
    const res = await call("POST", "/crm/v3/objects/contacts/batch/read", { idProperty: "email", inputs: byEmail.map((id) => ({ id })), properties: ["email"] })
    return `${res.results?.length} results`
  })
  for (const where of ["start", "end"] as const) {
    const ids = at(companyIds, where, assocBatch)
    await timed(`v4 association batch read, ${assocBatch} companies → contacts, ${where}`, async () => {
      const res = await call("POST", "/crm/v4/associations/companies/contacts/batch/read", { inputs: ids.map((id) => ({ id })) })
      return `${res.results?.length} results`
    })
  }
  await timed("batch upsert of 100 new contacts by ecommerce_user_id (email unique check)", async (n) => {
    const inputs = Array.from({ length: 100 }, (_, i) => ({
      id: `eu-${n}-${i}`,
      idProperty: "ecommerce_user_id",
      properties: { email: `up${n}-${i}@bench.example.com`, firstname: "Up" }
    }))
    const res = await call("POST", "/crm/v3/objects/contacts/batch/upsert", { inputs })
    return `${res.results?.length} results, ${res.errors?.length ?? 0} errors`
  })
  await timed("batch upsert of 100 existing contacts by ecommerce_user_id", async (n) => {
    const inputs = Array.from({ length: 100 }, (_, i) => ({ id: `eu-0-${i}`, idProperty: "ecommerce_user_id", properties: { firstname: `Again${n}` } }))
    const res = await call("POST", "/crm/v3/objects/contacts/batch/upsert", { inputs })
    return `${res.results?.length} results, ${res.errors?.length ?? 0} errors`
  })
  const updates = at(contactIds, "end", 100)
  await timed("batch update of 100 contacts by id, setting ecommerce_user_id (unique check)", async (n) => {
    const inputs = updates.map((id, i) => ({ id, properties: { ecommerce_user_id: `w-${n}-${i}` } }))
    const res = await call("POST", "/crm/v3/objects/contacts/batch/update", { inputs })
    return `${res.results?.length} results, ${res.errors?.length ?? 0} errors`
  })
  await timed("search page: 100 contacts by hs_lastmodifieddate ≥ 0, ascending (the reconcile scan)", async () => {
    const res = await call("POST", "/crm/v3/objects/contacts/search", {
      filterGroups: [{ filters: [{ propertyName: "hs_lastmodifieddate", operator: "GTE", value: "0" }] }],
      sorts: [{ propertyName: "hs_lastmodifieddate", direction: "ASCENDING" }],
      properties: props.split(","),
      limit: 100,
      after: "0"
    })
    return `total ${res.total}`
  })
  await timed("search count: limit 1 on an hs_object_id range (a backfill's total)", async () => {
    const res = await call("POST", "/crm/v3/objects/contacts/search", {
      filterGroups: [
        {
          filters: [
            { propertyName: "hs_object_id", operator: "GTE", value: contactIds[0] },
            { propertyName: "hs_object_id", operator: "LTE", value: contactIds.at(-1) }
          ]
        }
      ],
      properties: ["hs_object_id"],
      limit: 1,
      after: "0"
    })
    return `total ${res.total}`
  })
  const lastEmail = hubspot.state.find("contacts", contactIds.at(-1) ?? "")?.properties["email"] ?? ""
  await timed("in process: state.findByValue(contacts, email) of the last contact", async () => {
    for (let i = 0; i < 100; i++) hubspot.state.findByValue("contacts", "email", lastEmail)
    return "per 100 lookups"
  })
  await timed(
    "in process: state.objectsOf(contacts) (bench/backfill.ts writtenBack, each second)",
    async () => `${hubspot.state.objectsOf("contacts").length} objects`
  )
  for (const where of ["start", "end"] as const) {
    const cursor = where === "start" ? undefined : seededUser(users - 1000)
    const query = `fromId=${seededUser(0)}&toId=${seededUser(users - 1)}&limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`
    await timed(`commerce: list page of 1 000 users, ${where}`, async () => {
      const res = await fetch(`${shop.url}/users?${query}`)
      const page = (await res.json()) as { ids: Array<string> }
      return `${page.ids.length} ids`
    })
  }
  await shop.stop()
  // What the simulator's record of every webhook event costs (it keeps them for tests to read).
  const heapMb = () => {
    Bun.gc(true)
    return process.memoryUsage().heapUsed / 1024 / 1024
  }
  const [events, heapWith] = [hubspot.events.length, heapMb()]
  hubspot.events.length = 0
  row(`heap held by the ${events} webhook events the HubSpot simulator keeps`, 0, 1, `${(heapWith - heapMb()).toFixed(0)} MB of ${heapWith.toFixed(0)} MB heap`)
  console.log(`\nHubSpot and commerce simulators at ${companies} companies / ${users} shop users; RSS ${rssMb().toFixed(0)} MB at the end`)
  console.table(rows)
} finally {
  await hubspot.stop()
}
