// `bun run backfill start|list|status|pause|resume|cancel`: backfill jobs in the store at
// MONGO_URL (MONGO_DB), run by the service's replicas. `--help` on every command.
import { CommanderError } from "commander"
import { Config, Effect, Layer, ManagedRuntime } from "effect"
import { program } from "../src/adapters/cli/BackfillCli.ts"
import * as Settings from "../src/adapters/config/Settings.ts"
import * as MongoBackfillJobs from "../src/adapters/mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../src/adapters/mongo/MongoConnection.ts"

const setup = await Effect.runPromise(
  Effect.all({ mongo: MongoConnection.config, budget: Settings.budget, poll: Config.Int("BACKFILL_POLL_MS").pipe(Config.withDefault(1_000)) }).pipe(
    Effect.catch((e) =>
      Effect.sync(() => {
        console.error(`backfill: ${String(e)}\nSet MONGO_URL (and MONGO_DB) to the service's store.`)
        process.exit(2)
      })
    )
  )
)
const runtime = ManagedRuntime.make(MongoBackfillJobs.layer.pipe(Layer.provide(MongoConnection.dbLayer(setup.mongo))))
const cli = program({
  run: (effect) => runtime.runPromise(effect),
  write: (line) => console.log(line),
  isTty: process.stdout.isTTY === true,
  budget: {
    burst: setup.budget.burst,
    intervalMs: setup.budget.intervalMs,
    share: setup.budget.backfillShare,
    ...(setup.budget.maxBackfillShare === undefined ? {} : { maxShare: setup.budget.maxBackfillShare })
  },
  pollMs: setup.poll
})
let code = 0
try {
  await cli.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the usage error or the help already; a usage error exits 2.
    code = error.exitCode === 0 ? 0 : 2
  } else {
    // Effect failures carry their tag: say what went wrong, not a stack trace.
    const e = error as { readonly _tag?: string; readonly jobId?: string; readonly state?: string; readonly message?: string }
    console.error(
      e._tag === "JobNotFound" ? `no job ${e.jobId}` : e._tag === "JobFinished" ? `job ${e.jobId} is ${e.state}` : `backfill: ${e.message ?? String(error)}`
    )
    code = 1
  }
}
await runtime.dispose()
process.exit(code)
