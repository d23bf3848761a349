// The CRM → commerce leg of the backfill alone (issue 10), for working on it: no live traffic, no
// baseline, no commerce → CRM leg, so every HubSpot call in the figures is the leg's own. Same
// set-up as bench/backfill.ts (HubSpot simulator at 190 requests / 10 s, commerce simulator
// consuming, `bun start` on RabbitMQ and a private FerretDB). Prints records/s by the pages and
// until every HubSpot record holds its shop id, HubSpot calls per kind and per record beside the
// fewest a record needs, the ratio to the ceiling, and the service's span profile.
// Usage: bun bench/backfill-crm.ts [--companies 1000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20]
//        [--cpu-prof DIR] (the service writes a CPU profile there when it stops)
import { parseArgs } from "node:util"
import { MongoClient } from "mongodb"
import { callsPerRecord } from "../src/application/BackfillCommands.ts"
import { LEG_BURST, legOptions, legPids, legPreamble, loadavg, printLegReport, runLegJob, startLegStack } from "./backfill/LegJob.ts"
import { printSpanProfile } from "./backfill/Report.ts"

const { values: args } = parseArgs({
  options: {
    ...legOptions,
    companies: { type: "string", default: "1000" }
  }
})
legPreamble(
  args.help,
  "Usage: bun bench/backfill-crm.ts [--companies 1000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20] [--cpu-prof DIR]"
)
const companies = Number(args.companies)
const share = Number(args.share)
const pageSize = Number(args["page-size"])
const burst = LEG_BURST
const loadAtStart = await loadavg()
const { store, stack, runtime } = await startLegStack({ share, cpuProf: args["cpu-prof"] })
const hubspot = stack.hubspot

const writtenBack = () =>
  hubspot.state.objectsOf("companies").filter((o) => o.properties["ecommerce_business_id"]).length +
  hubspot.state.objectsOf("contacts").filter((o) => o.properties["ecommerce_user_id"]).length

try {
  hubspot.webhooks?.stop()
  for (let i = 0; i < companies; i++) {
    const company = hubspot.ui.create("companies", { name: `Bench ${i}`, domain: `bench${i}.example.com` })
    for (let c = 0; c < 3; c++) {
      const contact = hubspot.ui.create("contacts", { email: `b${i}-${c}@bench.example.com`, firstname: `B${i}`, lastname: `C${c}` })
      hubspot.ui.associate("contacts", contact.id, "companies", company.id)
    }
  }
  hubspot.webhooks?.resume()
  const records = companies * 4
  console.log(`seeded ${companies} companies, ${3 * companies} contacts; load at start ${loadAtStart}`)
  await Bun.sleep(10_500) // an empty rolling window before the leg starts

  const before = hubspot.requestLog().length
  const leg = await runLegJob(
    runtime,
    { direction: "crm-to-commerce", types: ["company", "contact"], pageSize, dryRun: false, kind: "backfill" },
    await legPids(stack.service.process.pid, store.url)
  )
  const { started } = leg
  const afterPages = hubspot.requestLog().length
  while (writtenBack() < records && performance.now() - started < Number(args["tail-timeout"]) * 1000) await Bun.sleep(500)
  const endSeconds = (performance.now() - started) / 1000
  const requests = hubspot.requestLog().slice(before)
  const loadAtEnd = await loadavg()

  printLegReport({
    loads: `${loadAtStart} / ${loadAtEnd}`,
    recordsLabel: `records (${companies} companies + ${3 * companies} contacts)`,
    records,
    pageSize,
    leg,
    untilLabel: "until every record holds its shop id",
    done: writtenBack(),
    endSeconds,
    ceiling: (share * burst) / 10 / callsPerRecord("crm-to-commerce"),
    fewest: "fewest: read 0.01 + assoc 0.001 + write-back 0.01",
    laneCallsPerSecond: (share * burst) / 10,
    callsByPagesEnd: afterPages - before,
    requests,
    logs: stack.service.logs
  })
  // What the leg left in the store, per record: FerretDB's cost grows with the documents it holds and returns.
  console.log("\nstore documents per record, by collection (at the end):")
  const mongo = await MongoClient.connect(store.url)
  try {
    const db = mongo.db(stack.dbName)
    const counts = await Promise.all(
      (await db.listCollections({}, { nameOnly: true }).toArray()).map(async (c) => [c.name, await db.collection(c.name).countDocuments()] as const)
    )
    for (const [name, n] of counts.toSorted((a, b) => b[1] - a[1])) console.log(`  ${(n / records).toFixed(2).padStart(6)}  ${name} (${n})`)
  } finally {
    await mongo.close()
  }
  printSpanProfile(stack.service.logs, "service time by span", Number(args["top-spans"]))
} finally {
  await runtime.dispose()
  await stack.stop()
  await store.dispose()
}
