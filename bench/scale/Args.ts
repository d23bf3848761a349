// Command-line settings of the scale bench: sizes, the replica counts to compare, the binding budget.
import { pairs, positive } from "../throughput/Args.ts"

export interface ScaleArgs {
  /** HubSpot contacts (flow A) and shop users (flow C) per replica count, budget not binding. */
  readonly contacts: number
  readonly users: number
  /** Service process counts to compare, in order (the first is the baseline of the speed-up). */
  readonly replicas: ReadonlyArray<number>
  /** The binding phase: requests per 10 s for the simulator and the service alike, and how many contacts and users. */
  readonly budget: number
  readonly burst: number
  /** HUBSPOT_BURST_LIMIT when the budget must not bind (the simulator gets 10 ×). */
  readonly unboundLimit: number
  readonly waitSeconds: number
  readonly deadlineMinutes: number
  readonly phases: ReadonlySet<ScalePhase>
  readonly ferretdb: string | undefined
}

export const scalePhases = ["scale", "budget"] as const
export type ScalePhase = (typeof scalePhases)[number]

const usage = `bun run bench:scale [--contacts 2000] [--users 2000] [--replicas 1,2,3] [--budget 100] [--burst 600]
  [--unbound-limit 100000] [--wait-seconds 300] [--deadline-minutes 30] [--phases ${scalePhases.join(",")}] [--ferretdb path/to/ferretdb-v1.24.2-pushdown-queue]`

const known = new Set(["contacts", "users", "replicas", "budget", "burst", "unbound-limit", "wait-seconds", "deadline-minutes", "phases", "ferretdb"])

const list = <A extends string>(name: string, raw: string, allowed: ReadonlyArray<A>): ReadonlySet<A> => {
  const items = raw.split(",").map((p) => p.trim())
  const unknown = items.filter((p) => !(allowed as ReadonlyArray<string>).includes(p))
  if (unknown.length > 0) throw new Error(`unknown ${name} ${unknown.join(", ")}\n${usage}`)
  return new Set(items as Array<A>)
}

const counts = (raw: string): ReadonlyArray<number> => {
  const items = raw.split(",").map((n) => Math.round(positive("replicas", n.trim(), usage)))
  if (items.length === 0 || items.some((n) => n > 8)) throw new Error(`--replicas takes counts from 1 to 8, got ${raw}\n${usage}`)
  return items
}

export const parseScaleArgs = (argv: ReadonlyArray<string>): ScaleArgs => {
  const given = pairs(argv, known, usage)
  const num = (name: string, fallback: number) => (given.has(name) ? positive(name, given.get(name), usage) : fallback)
  return {
    contacts: Math.round(num("contacts", 2000)),
    users: Math.round(num("users", 2000)),
    replicas: counts(given.get("replicas") ?? "1,2,3"),
    budget: Math.round(num("budget", 100)),
    burst: Math.round(num("burst", 600)),
    unboundLimit: Math.round(num("unbound-limit", 100_000)),
    waitSeconds: num("wait-seconds", 300),
    deadlineMinutes: num("deadline-minutes", 30),
    phases: list("phase", given.get("phases") ?? scalePhases.join(","), scalePhases),
    ferretdb: given.get("ferretdb")
  }
}
