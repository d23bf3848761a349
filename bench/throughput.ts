// Throughput of the whole service, driven only from outside: `bun src/main.ts` as a process on the
// shared RabbitMQ (a throwaway vhost per stack) and a PRIVATE FerretDB (its request counters and
// CPU are this run's alone), with the HubSpot simulator sending signed webhooks and the commerce
// simulator on the broker. Phases and targets: issue 8, "Benchmark". Prints one table.
// Usage: AMQP_URL=amqp://guest:guest@127.0.0.1:5672 bun run bench:throughput [--contacts 200 …] (--help)
import { parseArgs } from "./throughput/Args.ts"
import { argsOr2, runPhases, startHarness } from "./throughput/Harness.ts"
import { budgetPhase, flowPhase, intakePhase, modes, type PhaseContext } from "./throughput/Phases.ts"
import type { Row } from "./throughput/Table.ts"

const args = argsOr2(parseArgs)
const harness = await startHarness(args)
const ctx: PhaseContext = { ...harness, args }

const phases: ReadonlyArray<readonly [string, () => Promise<ReadonlyArray<Row>>]> = [
  ["intake", () => intakePhase(ctx)],
  ["flows", () => flowPhase(ctx, modes.flows)],
  ["memory", () => flowPhase(ctx, modes.memory)],
  ["embedded", () => flowPhase(ctx, modes.embedded)],
  ["budget", () => budgetPhase(ctx)]
]

const rows = await runPhases(harness, phases, args.phases, `${args.deadlineMinutes} min`)
await harness.finish("crm-sync throughput", rows)
