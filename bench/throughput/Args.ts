// Command-line settings of the throughput bench: every count and duration can be set, so a run
// against slow code finishes in minutes (`--contacts 200 --intake-seconds 5 --burst 500`).
export interface BenchArgs {
  /** Seconds of webhook intake from the concurrent senders. */
  readonly intakeSeconds: number
  readonly senders: number
  readonly eventsPerRequest: number
  /** How long to wait for the relay to publish the intake burst (default 4 × the burst). */
  readonly drainWaitSeconds: number
  /** HubSpot contact changes (flow A) and shop user events (flow C) with the budget not binding. */
  readonly contacts: number
  readonly users: number
  /** HubSpot contact changes under the default budget. */
  readonly burst: number
  /** The default budget: requests per 10 s for the service and the simulator alike. */
  readonly budget: number
  /** HUBSPOT_BURST_LIMIT when the budget must not bind. */
  readonly unboundLimit: number
  /** Longest wait for one flow to complete. */
  readonly waitSeconds: number
  /** The whole run stops by itself after this long. */
  readonly deadlineMinutes: number
  readonly phases: ReadonlySet<Phase>
  /** A FerretDB 1.24 binary; found under .data/bin (or built) when absent. */
  readonly ferretdb: string | undefined
}

export const allPhases = ["intake", "flows", "memory", "embedded", "budget"] as const
export type Phase = (typeof allPhases)[number]

const usage = `bun run bench:throughput [--intake-seconds 20] [--senders 10] [--events-per-request 100] [--drain-wait-seconds 4×intake]
  [--contacts 5000] [--users 5000] [--burst 10000] [--budget 100] [--unbound-limit 100000] [--wait-seconds 600]
  [--deadline-minutes 45] [--phases ${allPhases.join(",")}] [--ferretdb path/to/ferretdb-v1.24.2-pushdown-queue]`

export const positive = (name: string, raw: string | undefined, help = usage): number => {
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number, got ${raw}\n${help}`)
  return value
}

const parsePhases = (raw: string): ReadonlySet<Phase> => {
  const phases = raw.split(",").map((p) => p.trim())
  const unknown = phases.filter((p) => !(allPhases as ReadonlyArray<string>).includes(p))
  if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(", ")}\n${usage}`)
  return new Set(phases as Array<Phase>)
}

/** `--name value` pairs; unknown names, a missing value or `--help` throw with the usage. */
export const pairs = (argv: ReadonlyArray<string>, known: ReadonlySet<string>, help = usage): Map<string, string> => {
  const found = new Map<string, string>()
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i] ?? ""
    if (key === "--help" || key === "-h") throw new Error(help)
    if (!key.startsWith("--") || argv[i + 1] === undefined) throw new Error(`cannot read ${argv.slice(i).join(" ")}\n${help}`)
    if (!known.has(key.slice(2))) throw new Error(`unknown option ${key}\n${help}`)
    found.set(key.slice(2), argv[i + 1] ?? "")
  }
  return found
}

const known = new Set([
  "intake-seconds",
  "senders",
  "events-per-request",
  "drain-wait-seconds",
  "contacts",
  "users",
  "burst",
  "budget",
  "unbound-limit",
  "wait-seconds",
  "deadline-minutes",
  "phases",
  "ferretdb"
])

export const parseArgs = (argv: ReadonlyArray<string>): BenchArgs => {
  const given = pairs(argv, known)
  const num = (name: string, fallback: number) => (given.has(name) ? positive(name, given.get(name)) : fallback)
  const intakeSeconds = num("intake-seconds", 20)
  return {
    intakeSeconds,
    senders: Math.round(num("senders", 10)),
    eventsPerRequest: Math.round(num("events-per-request", 100)),
    drainWaitSeconds: num("drain-wait-seconds", 4 * intakeSeconds),
    contacts: Math.round(num("contacts", 5000)),
    users: Math.round(num("users", 5000)),
    burst: Math.round(num("burst", 10_000)),
    budget: Math.round(num("budget", 100)),
    unboundLimit: Math.round(num("unbound-limit", 100_000)),
    waitSeconds: num("wait-seconds", 600),
    deadlineMinutes: num("deadline-minutes", 45),
    phases: parsePhases(given.get("phases") ?? allPhases.join(",")),
    ferretdb: given.get("ferretdb")
  }
}
