// The scale bench's phases. `scale`: for each replica count, a fresh stack on the private FerretDB
// with that many service processes (webhooks spread over them by the front proxy), flow A then
// flow C with the HubSpot budget far above use; entities/s, the speed-up against the first count,
// and where the CPU went (services vs FerretDB vs the whole machine), to tell which is the
// bottleneck. `budget`: the most replicas under a binding budget, and the simulator's 429 count.
import { type Replicas, replicasOf } from "../../test/support/e2e/Replicas.ts"
import type { StackOptions } from "../../test/support/e2e/Stack.ts"
import { type FlowResult, runFlowA, runFlowC, seedUsers, settle } from "../throughput/Flows.ts"
import type { Harness } from "../throughput/Harness.ts"
import { machineBusyMs } from "../throughput/ProcessStats.ts"
import { fmt, type Row, row } from "../throughput/Table.ts"
import type { ScaleArgs } from "./Args.ts"

interface Measured {
  readonly replicas: number
  readonly flow: "A" | "C"
  readonly result: FlowResult
  /** Busy CPU of the whole machine during the flow, in ms. */
  readonly machineMs: number
}

const rate = (r: FlowResult) => r.arrived / r.seconds
const cores = (ms: number | undefined, r: FlowResult) => (ms === undefined ? undefined : ms / (r.seconds * 1000))

/** A stack with `n` service processes; the extra ones are stopped on the way out, whatever happens. */
const withReplicas = async <A>(h: Harness, n: number, options: StackOptions, body: (replicas: Replicas) => Promise<A>): Promise<A> => {
  const stack = await h.stack({ ...options, webhookFront: true, env: { ...options.env, REPLICA_ID: "r1" } })
  const replicas = replicasOf(stack)
  const extras = async () => {
    for (const r of replicas.live()) if (r.service !== stack.service) await replicas.terminate(r)
  }
  const untrack = h.onExit(extras)
  try {
    for (let i = 2; i <= n; i++) await replicas.add(`r${i}`)
    return await body(replicas)
  } finally {
    await extras()
    untrack()
    await h.stop(stack)
  }
}

/** The most requests in any window of `ms` (the simulator's rolling limit counts the same way): shows whether the budget bound. */
export const busiestWindow = (times: ReadonlyArray<number>, ms: number): number => {
  const sorted = times.toSorted((x, y) => x - y)
  let most = 0
  for (let [from, to] = [0, 0]; to < sorted.length; to++) {
    while ((sorted[to] ?? 0) - (sorted[from] ?? 0) >= ms) from++
    most = Math.max(most, to - from + 1)
  }
  return most
}

const pidsOf = (replicas: Replicas) => replicas.live().map((r) => r.service.process.pid)

/** Flow A then (after the tail settled) flow C on one stack of `n` replicas. */
const measure = async (h: Harness, args: ScaleArgs, n: number, limits: { service: number; simulator: number }, users: number, contacts: number) => {
  const seeded = seedUsers(users)
  return withReplicas(
    h,
    n,
    { env: { HUBSPOT_BURST_LIMIT: String(limits.service) }, hubspotBurstLimit: limits.simulator, commerce: { seed: { user: seeded } } },
    async (replicas) => {
      const { stack } = replicas
      const settings = (tag: string) => ({ tag, timeoutMs: h.deadline.cap(args.waitSeconds * 1000), store: h.store, pids: pidsOf(replicas) })
      const timed = async (flow: "A" | "C", run: () => Promise<FlowResult>): Promise<Measured> => {
        const busy = machineBusyMs()
        const result = await run()
        return { replicas: n, flow, result, machineMs: machineBusyMs() - busy }
      }
      if (limits.service < args.unboundLimit) {
        // Stack start-up made API calls (property setup); let them leave the simulator's 10 s window.
        await Bun.sleep(Math.min(10_500, h.deadline.remainingMs()))
      }
      h.progress(`${n} replica(s): flow A, ${contacts} HubSpot contacts`)
      const a = await timed("A", () => runFlowA(stack, contacts, "shop", settings(`a${n}`)))
      await settle(stack, h.deadline.cap(30_000), pidsOf(replicas))
      h.progress(`${n} replica(s): flow C, ${users} shop user_created events`)
      const c = await timed("C", () => runFlowC(stack, seeded, stack.prefix, settings(`c${n}`)))
      // Every 429 of the stack's life, set-up and the settling between the flows included.
      const log = stack.hubspot.requestLog()
      const throttled = log.filter((r) => r.status === 429).length
      return {
        flows: [a, c],
        throttled,
        busiestWindow: busiestWindow(
          log.map((r) => Date.parse(r.time)),
          10_000
        )
      }
    }
  )
}

const done = (r: FlowResult) => (r.done ? "" : ` (only ${fmt(r.arrived)} of ${fmt(r.entities)} in ${fmt(r.seconds)} s)`)

/** Which CPU ran out: the machine's (every core busy), else whichever of the services and FerretDB used more. */
const bottleneck = (m: Measured): string => {
  const service = cores(m.result.usage.serviceCpuMs, m.result) ?? 0
  const store = cores(m.result.usage.storeCpuMs, m.result) ?? 0
  const machine = cores(m.machineMs, m.result) ?? 0
  const all = navigator.hardwareConcurrency
  const heavier = service >= store ? "service" : "FerretDB"
  return machine >= 0.9 * all ? `machine CPU (${fmt(machine, 2)} of ${all} cores busy; ${heavier} used more)` : heavier
}

const scaleRows = (found: ReadonlyArray<Measured>): ReadonlyArray<Row> =>
  found.flatMap((m) => {
    const S = `Flow ${m.flow}, ${m.replicas} replica${m.replicas > 1 ? "s" : ""}`
    const base = found.find((b) => b.flow === m.flow)
    const speedUp = base === undefined || base === m ? undefined : rate(m.result) / rate(base.result)
    const u = m.result.usage
    return [
      row(S, `entities/s (${fmt(m.result.entities)} entities, ${fmt(m.result.seconds, 1)} s)`, `${fmt(rate(m.result), 1)}${done(m.result)}`),
      ...(speedUp === undefined || base === undefined
        ? []
        : [
            row(
              S,
              `speed-up vs ${base.replicas} replica${base.replicas > 1 ? "s" : ""}`,
              // A run cut short measured only its early part: its rate is not comparable.
              base.result.done && m.result.done ? `${fmt(speedUp, 2)} ×` : "n/a (a run did not finish)",
              "target ≥ 1.7 × with 2 when the service is the bottleneck"
            )
          ]),
      row(
        S,
        "cores used: services (sum) / FerretDB / whole machine",
        `${fmt(cores(u.serviceCpuMs, m.result), 2)} / ${fmt(cores(u.storeCpuMs, m.result), 2)} / ${fmt(cores(m.machineMs, m.result), 2)}`,
        `of ${navigator.hardwareConcurrency}`
      ),
      row(S, "bottleneck", bottleneck(m)),
      row(S, "HubSpot calls, 429s", `${fmt(m.result.calls.calls)}, ${fmt(m.result.calls.throttled)}`)
    ]
  })

export const scalePhase = async (h: Harness, args: ScaleArgs): Promise<ReadonlyArray<Row>> => {
  const found: Array<Measured> = []
  for (const n of args.replicas) {
    if (h.deadline.remainingMs() < 10_000) break
    found.push(...(await measure(h, args, n, { service: args.unboundLimit, simulator: args.unboundLimit * 10 }, args.users, args.contacts)).flows)
  }
  return scaleRows(found)
}

/** The most replicas under a binding budget: the simulator must count no 429 from any of them. */
export const budgetPhase = async (h: Harness, args: ScaleArgs): Promise<ReadonlyArray<Row>> => {
  const n = Math.max(...args.replicas)
  const {
    flows: found,
    throttled,
    busiestWindow: busiest
  } = await measure(h, args, n, { service: args.budget, simulator: args.budget }, args.burst, args.burst)
  const S = `Binding budget (${args.budget} req / 10 s), ${n} replicas`
  return [
    ...found.map((m) =>
      row(S, `flow ${m.flow}: entities/s (${fmt(m.result.entities)} entities, ${fmt(m.result.seconds, 1)} s)`, `${fmt(rate(m.result), 1)}${done(m.result)}`)
    ),
    ...found.map((m) =>
      row(
        S,
        `flow ${m.flow}: HubSpot calls, records per call`,
        `${fmt(m.result.calls.calls)}, ${fmt(m.result.calls.records / Math.max(1, m.result.calls.calls), 1)}`
      )
    ),
    row(S, "HubSpot requests in the busiest 10 s, all replicas", fmt(busiest), `the budget binds when this reaches ${args.budget}`),
    row(S, "429s the simulator counted, all replicas, whole stack life", `${fmt(throttled)} × 429`, throttled === 0 ? "target 0: met" : "target 0: NOT MET")
  ]
}
