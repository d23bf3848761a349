// The commerce → CRM leg of the backfill alone (issue 10), through the whole service: no live
// traffic, no baseline, no CRM → commerce leg, so every HubSpot call in the figures is the leg's
// own. Same set-up as bench/backfill.ts (HubSpot simulator at 190 requests / 10 s, commerce
// simulator serving --users shop users and consuming what we send it, `bun start` on RabbitMQ and
// a private FerretDB). Prints records/s by the pages and until every shop user holds its HubSpot
// id, HubSpot calls per kind and per record, the ratio to the ceiling, CPU per 1 000 records of the
// service, FerretDB and this process (the simulators), and the service's span profile.
// bench/commerce-backfill-pages.ts measures flow C alone, without the runner, bus and service.
// Usage: bun bench/backfill-shop.ts [--users 5000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20]
//        [--cpu-prof DIR] (the service writes a CPU profile there when it stops) [--webhooks false] (no echo webhooks)
import { parseArgs } from "node:util"
import { callsPerRecord } from "../src/application/BackfillCommands.ts"
import { LEG_BURST, legOptions, legPids, legPreamble, loadavg, printLegReport, runLegJob, shopLegJob, startLegStack } from "./backfill/LegJob.ts"
import { printSpanProfile } from "./backfill/Report.ts"

import { seedUsers } from "./backfill/SeedUsers.ts"

const { values: args } = parseArgs({
  options: {
    ...legOptions,
    users: { type: "string", default: "5000" },
    /** false: HubSpot sends no webhooks, so the service's cost of its own writes' echoes (intake, relay, flow A) is left out. */
    webhooks: { type: "string", default: "true" }
  }
})
legPreamble(args.help, "Usage: bun bench/backfill-shop.ts [--users 5000] [--share 1] [--page-size 1000] [--tail-timeout 600] [--top-spans 20] [--cpu-prof DIR]")
const users = Number(args.users)
const seeded = seedUsers(users)
const share = Number(args.share)
const pageSize = Number(args["page-size"])
const burst = LEG_BURST
const loadAtStart = await loadavg()
const { store, stack, runtime } = await startLegStack({ share, cpuProf: args["cpu-prof"], commerce: { seed: { user: seeded } } })
const hubspot = stack.hubspot

/** Seeded shop users that know their HubSpot contact: sending the id back is the leg's last step. */
const linked = () => seeded.filter((u) => stack.commerce.find("user", u.id)?.record["crmId"] !== undefined).length

try {
  const records = users
  if (args.webhooks === "false") hubspot.webhooks?.stop()
  console.log(`seeded ${users} shop users; load at start ${loadAtStart}`)
  await Bun.sleep(10_500) // an empty rolling window before the leg starts

  const before = hubspot.requestLog().length
  const leg = await runLegJob(runtime, shopLegJob(users, pageSize), await legPids(stack.service.process.pid, store.url))
  const { started } = leg
  const afterPages = hubspot.requestLog().length
  while (linked() < records && performance.now() - started < Number(args["tail-timeout"]) * 1000) await Bun.sleep(500)
  const endSeconds = (performance.now() - started) / 1000
  const requests = hubspot.requestLog().slice(before)
  const loadAtEnd = await loadavg()

  printLegReport({
    loads: `${loadAtStart} / ${loadAtEnd}`,
    recordsLabel: `records (${users} shop users)`,
    records,
    pageSize,
    leg,
    untilLabel: "until every shop user holds its HubSpot id",
    done: linked(),
    endSeconds,
    ceiling: (share * burst) / 10 / callsPerRecord("commerce-to-crm"),
    fewest: "fewest: one upsert of 100, 0.01",
    laneCallsPerSecond: (share * burst) / 10,
    callsByPagesEnd: afterPages - before,
    requests,
    cpuNote: " (RabbitMQ is shared: others' traffic too)",
    logs: stack.service.logs
  })
  printSpanProfile(stack.service.logs, "service time by span", Number(args["top-spans"]))
} finally {
  await runtime.dispose()
  await stack.stop()
  await store.dispose()
}
