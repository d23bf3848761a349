// Horizontal scaling of the service (issue 12): the same flows A and C through 1, 2 and 3 `bun
// src/main.ts` processes on one broker vhost and one database (a PRIVATE FerretDB, so its CPU is
// this run's alone), each count on a fresh stack in the same run, with the first count as the
// same-run baseline; then a phase under a binding HubSpot budget whose simulator must count no
// 429 across the replicas. Prints one table.
// Usage: AMQP_URL=amqp://guest:guest@127.0.0.1:5672 bun run bench:scale [--contacts 2000 --users 2000 --replicas 1,2,3] (--help)
import { parseScaleArgs } from "./scale/Args.ts"
import { budgetPhase, scalePhase } from "./scale/Phases.ts"
import { argsOr2, runPhases, startHarness } from "./throughput/Harness.ts"

const args = argsOr2(parseScaleArgs)
const harness = await startHarness(args)
const rows = await runPhases(
  harness,
  [
    ["scale", () => scalePhase(harness, args)],
    ["budget", () => budgetPhase(harness, args)]
  ],
  args.phases,
  `${args.deadlineMinutes} min`
)
await harness.finish("crm-sync scale", rows)
