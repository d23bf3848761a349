// The bench's phases, each on a stack of its own (fresh service, database and vhost), each
// returning its rows. Every wait is bounded by the phase's limit and the run's deadline.
import { PREFIX, type Stack, type StackOptions } from "../../test/support/e2e/Stack.ts"
import type { BenchArgs } from "./Args.ts"
import type { Deadline } from "./Deadline.ts"
import type { FerretDb } from "./FerretDb.ts"
import { type FlowAEnd, type FlowResult, runFlowA, runFlowC, seedUsers, settle } from "./Flows.ts"
import { rawInsertMany, runIntake } from "./Intake.ts"
import { fmt, perEach, type Row, row } from "./Table.ts"

export interface PhaseContext {
  readonly args: BenchArgs
  readonly deadline: Deadline
  readonly store: FerretDb
  /** Starts a stack that the run stops on exit, whatever happens. */
  readonly stack: (options: StackOptions) => Promise<Stack>
  readonly stop: (stack: Stack) => Promise<void>
  readonly progress: (line: string) => void
}

const top = (byCommand: ReadonlyArray<readonly [string, number]>, per: number) =>
  byCommand
    .slice(0, 4)
    .map(([command, n]) => `${command} ${fmt(n / per, 1)}`)
    .join(", ")

export const intakePhase = async (ctx: PhaseContext): Promise<ReadonlyArray<Row>> => {
  const { args } = ctx
  const settings = {
    seconds: args.intakeSeconds,
    senders: args.senders,
    eventsPerRequest: args.eventsPerRequest,
    drainWaitSeconds: args.drainWaitSeconds,
    prefix: PREFIX
  }
  const stack = await ctx.stack({})
  ctx.progress(`intake: ${args.senders} senders × ${args.eventsPerRequest} events for ${args.intakeSeconds} s`)
  const r = await runIntake(stack, ctx.store, settings, ctx.deadline).finally(() => ctx.stop(stack))
  ctx.progress(`intake: ${r.acceptedEvents} events accepted; raw insertMany baseline`)
  const raw = await rawInsertMany(ctx.store.url, r.acceptedEvents, settings)
  const rate = r.acceptedEvents / r.seconds
  const rawRate = raw.documents / raw.seconds
  const nonOk = Object.entries(r.nonOk)
  const S = "Intake"
  return [
    row(S, `events/s accepted (${fmt(r.seconds, 1)} s, ${args.senders} × ${args.eventsPerRequest}-event requests)`, fmt(rate), `${fmt(r.requests)} requests`),
    row(S, "request latency p50 / p99", `${fmt(r.p50Ms)} / ${fmt(r.p99Ms)} ms`),
    row(
      S,
      "non-2xx responses",
      fmt(nonOk.reduce((n, [, c]) => n + c, 0)),
      `target 0${nonOk.length > 0 ? ` (${nonOk.map(([s, c]) => `${c} × ${s}`).join(", ")})` : ""}`
    ),
    row(S, `raw insertMany, same ${fmt(raw.documents)} documents (100 a call, ${args.senders} concurrent)`, `${fmt(rawRate)} docs/s`, "baseline"),
    row(S, "intake / raw insertMany", fmt(rate / rawRate, 2), "target ≥ 0.5"),
    row(
      S,
      "store ops per request during the burst (intake and relay), service CPU ms per event",
      `${perEach(r.usage.storeOps?.total, r.requests, 1)}, ${perEach(r.usage.serviceCpuMs, r.acceptedEvents, 3)}`,
      r.usage.storeOps === undefined ? "" : top(r.usage.storeOps.byCommand, Math.max(1, r.requests))
    ),
    row(
      S,
      "relay: seconds after the burst until all published",
      r.drainSeconds === undefined
        ? `not drained: ${fmt(r.published)} of ${fmt(r.acceptedEvents)} after ${fmt(r.drainWaitedSeconds)} s`
        : fmt(r.drainSeconds, 1),
      `target ≤ ${fmt(2 * r.seconds)} s (2 × burst)`
    )
  ]
}

const flowRows = (section: string, r: FlowResult, targetRate: string, withStore: boolean, endNote = ""): ReadonlyArray<Row> => {
  const rate = r.arrived / r.seconds
  const rateText = r.done ? fmt(rate, 1) : `${fmt(rate, 1)} (only ${fmt(r.arrived)} of ${fmt(r.entities)} in ${fmt(r.seconds)} s)`
  const per = Math.max(1, r.arrived)
  const u = r.usage
  return [
    row(section, `entities/s (${fmt(r.entities)} entities, ${fmt(r.seconds, 1)} s, fed in ${fmt(r.feedSeconds, 1)} s)`, rateText, `${targetRate}${endNote}`),
    ...(withStore
      ? [
          row(
            section,
            "store operations per entity",
            perEach(u.storeOps?.total, per),
            `target ≤ 1${u.storeOps === undefined ? "" : `; ${top(u.storeOps.byCommand, per)}`}`
          ),
          row(section, "FerretDB CPU ms per entity", perEach(u.storeCpuMs, per))
        ]
      : []),
    row(section, "service CPU ms per entity", perEach(u.serviceCpuMs, per, 2), "target ≤ 1"),
    row(section, "service peak RSS (process lifetime)", `${fmt(u.servicePeakRssMb)} MiB`),
    row(
      section,
      "HubSpot calls, records per call, 429s",
      `${fmt(r.calls.calls)}, ${fmt(r.calls.records / Math.max(1, r.calls.calls), 1)}, ${fmt(r.calls.throttled)}`,
      r.calls.byEndpoint
        .slice(0, 3)
        .map(([e, n]) => `${e} ${n}`)
        .join("; ")
    ),
    ...(r.abandonedWebhooks > 0 ? [row(section, "webhook events the simulator gave up on", fmt(r.abandonedWebhooks), "target 0")] : [])
  ]
}

interface Mode {
  readonly label: string
  readonly env: Record<string, string>
  readonly usesStore: boolean
  readonly flowAEnd: FlowAEnd
  readonly flowC: boolean
  readonly targetRate: string
}

export const modes = {
  flows: { label: "RabbitMQ + FerretDB", env: {}, usesStore: true, flowAEnd: "shop", flowC: true, targetRate: "target ≥ 300/s" },
  memory: {
    label: "RabbitMQ + in-memory store",
    env: { MONGO_URL: "" },
    usesStore: false,
    flowAEnd: "shop",
    flowC: true,
    targetRate: "target ≥ 3 000/s (in-memory)"
  },
  embedded: {
    label: "embedded in-memory",
    env: { AMQP_URL: "", MONGO_URL: "" },
    usesStore: false,
    flowAEnd: "contact-read",
    flowC: false,
    targetRate: "target ≥ 3 000/s (in-memory)"
  }
} as const satisfies Record<string, Mode>

/** Flow A then flow C, with the HubSpot budget not binding (service and simulator limits far above use). */
export const flowPhase = async (ctx: PhaseContext, mode: Mode): Promise<ReadonlyArray<Row>> => {
  const { args } = ctx
  const users = mode.flowC ? seedUsers(args.users) : []
  const limit = String(args.unboundLimit)
  const stack = await ctx.stack({
    env: { HUBSPOT_BURST_LIMIT: limit, ...mode.env },
    hubspotBurstLimit: args.unboundLimit * 10,
    commerce: { seed: { user: users } }
  })
  try {
    const settings = (tag: string) => ({ tag, timeoutMs: ctx.deadline.cap(args.waitSeconds * 1000), store: mode.usesStore ? ctx.store : undefined })
    ctx.progress(`flow A, ${mode.label}: ${args.contacts} HubSpot contacts`)
    const a = await runFlowA(stack, args.contacts, mode.flowAEnd, settings("a"))
    const endNote = mode.flowAEnd === "shop" ? "" : "; timed until the service read every contact (its publish to the shop stays in-process)"
    const rows = [...flowRows(`Flow A, ${mode.label}`, a, mode.targetRate, mode.usesStore, endNote)]
    if (!mode.flowC) {
      rows.push(
        row(
          `Flow C, ${mode.label}`,
          "entities/s",
          "not measured",
          "the shop's events reach an embedded service only through its in-process bus: not drivable from outside"
        )
      )
      return rows
    }
    await settle(stack, ctx.deadline.cap(30_000))
    ctx.progress(`flow C, ${mode.label}: ${args.users} shop user_created events`)
    const c = await runFlowC(stack, users, PREFIX, settings("c"))
    return [...rows, ...flowRows(`Flow C, ${mode.label}`, c, mode.targetRate, mode.usesStore)]
  } finally {
    await ctx.stop(stack)
  }
}

/** A burst of contact changes under the default budget, simulator and service at the same limit. */
export const budgetPhase = async (ctx: PhaseContext): Promise<ReadonlyArray<Row>> => {
  const { args } = ctx
  const stack = await ctx.stack({ env: { HUBSPOT_BURST_LIMIT: String(args.budget) }, hubspotBurstLimit: args.budget })
  try {
    // Stack start-up made API calls (property setup); let them leave the simulator's 10 s window.
    await Bun.sleep(Math.min(10_500, ctx.deadline.remainingMs()))
    ctx.progress(`budget: ${args.burst} HubSpot contacts at ${args.budget} requests / 10 s`)
    const r = await runFlowA(stack, args.burst, "shop", { tag: "budget", timeoutMs: ctx.deadline.cap(args.waitSeconds * 1000), store: ctx.store })
    const S = `Default budget (${args.budget} req / 10 s)`
    return [
      row(
        S,
        "records per HubSpot call",
        fmt(r.calls.records / Math.max(1, r.calls.calls), 1),
        `target ≥ 50; ${fmt(r.calls.calls)} calls: ${r.calls.byEndpoint
          .slice(0, 3)
          .map(([e, n]) => `${e} ${n}`)
          .join("; ")}`
      ),
      row(
        S,
        `seconds until all ${fmt(r.entities)} are in the shop`,
        r.done ? fmt(r.seconds, 1) : `not done: ${fmt(r.arrived)} of ${fmt(r.entities)} after ${fmt(r.seconds)} s`,
        "target ≤ 90 s for 10 000"
      ),
      row(S, "contacts/s", fmt(r.arrived / r.seconds, 1)),
      row(S, "429s from HubSpot", fmt(r.calls.throttled), "target 0"),
      row(S, "store operations per entity", perEach(r.usage.storeOps?.total, Math.max(1, r.arrived)))
    ]
  } finally {
    await ctx.stop(stack)
  }
}
