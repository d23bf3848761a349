// Flow A of a CRM → commerce backfill over memory adapters, for a CPU profile of the service's own
// work per record without HubSpot, RabbitMQ or a store: the CRM answers lists from records built
// up front (its memory adapter joins associations per record, which would drown the flow).
// Usage: bun --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-flow-a.ts [--companies 2000] [--page-size 1000]
import { parseArgs } from "node:util"
import { Effect, Layer } from "effect"
import * as InMemoryBackfillJobs from "../src/adapters/memory/InMemoryBackfillJobs.ts"
import * as InMemoryBus from "../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../src/adapters/memory/InMemoryCrm.ts"
import { runOnce } from "../src/application/BackfillRunner.ts"
import { BackfillJobs } from "../src/application/ports/BackfillJobs.ts"
import { Crm } from "../src/application/ports/Crm.ts"
import { memoryStorePorts } from "../test/support/MemoryStorePorts.ts"

const { values: args } = parseArgs({ options: { companies: { type: "string", default: "2000" }, "page-size": { type: "string", default: "1000" } } })
const companies = Number(args.companies)
type Rec = { id: string; properties: Record<string, string>; updatedAt: number; contactIds?: Array<string>; companyIds?: Array<string> }
const byType: Record<string, Map<string, Rec>> = { company: new Map(), contact: new Map(), order: new Map() }
let next = 1000
for (let i = 0; i < companies; i++) {
  const companyId = String(next++)
  const contactIds: Array<string> = []
  for (let c = 0; c < 3; c++) {
    const id = String(next++)
    contactIds.push(id)
    byType["contact"]!.set(id, {
      id,
      properties: { email: `b${i}-${c}@bench.example.com`, firstname: `B${i}`, lastname: `C${c}`, hs_object_id: id },
      updatedAt: 1_700_000_000_000 + i,
      companyIds: [companyId]
    })
  }
  byType["company"]!.set(companyId, {
    id: companyId,
    properties: { name: `Bench ${i}`, domain: `bench${i}.example.com`, hs_object_id: companyId },
    updatedAt: 1_700_000_000_000 + i,
    contactIds
  })
}
const sorted = Object.fromEntries(Object.entries(byType).map(([t, m]) => [t, [...m.keys()].map(Number).sort((a, b) => a - b)]))

const program = Effect.gen(function* () {
  const base = yield* InMemoryCrm.make()
  const crm = Crm.of({
    ...base,
    read: ((type: string, ids: ReadonlyArray<string>) => Effect.succeed(ids.flatMap((id) => byType[type]?.get(id) ?? []))) as never,
    list: ((type: string, range: { after?: string; limit: number }) =>
      Effect.sync(() => {
        const all = sorted[type] ?? []
        const from = range.after === undefined ? 0 : Number(range.after)
        const start = all.findIndex((id) => id >= from)
        const ids = start < 0 ? [] : all.slice(start, start + range.limit)
        const after = start < 0 ? undefined : all[start + range.limit]
        return { records: ids.map((id) => byType[type]!.get(String(id))!), next: after === undefined ? undefined : String(after) }
      })) as never,
    count: ((type: string) => Effect.succeed(byType[type]?.size ?? 0)) as never
  })
  const jobs = yield* BackfillJobs
  yield* jobs.create([
    {
      id: "p",
      definition: { direction: "crm-to-commerce", types: ["company", "contact"], pageSize: Number(args["page-size"]), dryRun: false, kind: "backfill" },
      state: "running",
      waitUntil: undefined,
      createdAt: 1,
      updatedAt: 1
    }
  ])
  const sizes = new Map()
  const ahead = new Map()
  const started = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < 10_000; i++)
    if (!(yield* runOnce({ holder: "p", leaseMs: 600_000, idleMs: 10 }, sizes, ahead).pipe(Effect.provideService(Crm, crm)))) break
  const used = process.cpuUsage(cpu)
  const [progress] = yield* jobs.progress(["p"])
  const records = companies * 4
  console.log(
    `records ${progress?.counts["records"]} synced ${progress?.counts["synced"]} parked ${progress?.counts["parked"]}; ${((performance.now() - started) / 1000).toFixed(2)} s; CPU ${((1000 * (used.user + used.system)) / 1e6 / records).toFixed(3)} s per 1 000 records`
  )
})

await Effect.runPromise(
  Effect.scoped(
    program.pipe(
      Effect.provide(
        Layer.mergeAll(InMemoryBus.layer, InMemoryBackfillJobs.layer, InMemoryCommerceApi.layer({}), Layer.succeed(Crm, {} as never)).pipe(
          Layer.provideMerge(memoryStorePorts())
        )
      )
    )
  )
)
