// `bun run setup-hubspot`: creates the ecommerce property group and unique id properties in the
// HubSpot account of HUBSPOT_ACCESS_TOKEN (HUBSPOT_BASE_PATH for a simulator). Safe to re-run.
import { Console, Effect } from "effect"
import * as HubSpotCrm from "../src/adapters/hubspot/HubSpotCrm.ts"
import { describeStep, setupHubSpot } from "../src/adapters/hubspot/SetupHubSpot.ts"

const program = Effect.gen(function* () {
  const settings = yield* HubSpotCrm.config
  yield* Console.log(`Setting up HubSpot at ${settings.basePath}`)
  const steps = yield* setupHubSpot(settings)
  for (const step of steps) yield* Console.log(describeStep(step))
  return steps.some((s) => s.status === "not unique") ? 1 : 0
})

const code = await Effect.runPromise(
  program.pipe(
    Effect.catchTag("SetupFailed", (e) => Effect.as(Console.error(e.message), 1)),
    // The only other failure is configuration: say which variable, not a stack trace.
    Effect.catch((e) =>
      Effect.as(Console.error(`Setup failed: ${String(e)}\nSet HUBSPOT_ACCESS_TOKEN to your private app's token (and HUBSPOT_BASE_PATH for a simulator).`), 1)
    )
  )
)
process.exit(code)
