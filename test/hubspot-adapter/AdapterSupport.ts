// Builds the HubSpot adapter against an in-process simulator, with a LocalBudget over an
// in-memory rate budget that records what was asked of the shared store and told it.
import { afterAll, beforeAll, beforeEach } from "bun:test"
import { Effect, Layer, Redacted } from "effect"
import * as HubSpotCrm from "../../src/adapters/hubspot/HubSpotCrm.ts"
import { setupHubSpot } from "../../src/adapters/hubspot/SetupHubSpot.ts"
import * as InMemoryRateBudget from "../../src/adapters/memory/InMemoryRateBudget.ts"
import type { BudgetConfig } from "../../src/application/BudgetPolicy.ts"
import type { LaneName } from "../../src/application/Lane.ts"
import * as LocalBudget from "../../src/application/LocalBudget.ts"
import type { Crm, CrmError } from "../../src/application/ports/Crm.ts"
import { type Observation, RateBudget } from "../../src/application/ports/RateBudget.ts"
import { type HubSpotSimulator, type SimulatorOptions, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"

export const accessToken = Redacted.make("test-token")

export const budgetConfig: BudgetConfig = { burst: 190, intervalMs: 10_000, daily: 1_000_000, backfillShare: 0.5, timeZone: "UTC" }

/** Creates the unique id properties the adapter upserts on (a sim reset drops them). */
export const setup = (sim: HubSpotSimulator) => Effect.runPromise(setupHubSpot({ accessToken, basePath: sim.url }))

export const startSim = async (options: SimulatorOptions = {}): Promise<HubSpotSimulator> => {
  const sim = await startHubSpotSimulator({ port: 0, ...options })
  await setup(sim)
  return sim
}

export interface BudgetLog {
  /** The lane of every lease of the shared store (a lease serves many calls). */
  readonly takes: Array<LaneName>
  readonly observed: Array<Observation>
}

/** A LocalBudget over a shared store that logs what reaches it. */
export const recordingBudget = (config: BudgetConfig = budgetConfig) => {
  const log: BudgetLog = { takes: [], observed: [] }
  const store = Layer.effect(
    RateBudget,
    Effect.map(InMemoryRateBudget.make(config), (inner) =>
      RateBudget.of({
        lease: (lane, max, now, share) =>
          Effect.andThen(
            Effect.sync(() => log.takes.push(lane)),
            inner.lease(lane, max, now, share)
          ),
        leaseDay: inner.leaseDay,
        claimSearch: inner.claimSearch,
        observe: (observation, now) =>
          Effect.andThen(
            Effect.sync(() => log.observed.push(observation)),
            inner.observe(observation, now)
          ),
        usage: inner.usage
      })
    )
  )
  return { log, layer: LocalBudget.layer(config).pipe(Layer.provide(store)) }
}

export const localBudget = (config: BudgetConfig = budgetConfig) => LocalBudget.layer(config).pipe(Layer.provide(InMemoryRateBudget.layer(config)))

export const adapterLayer = (sim: HubSpotSimulator, options: Partial<HubSpotCrm.Options> = {}, budget: Layer.Layer<LocalBudget.LocalBudget> = localBudget()) =>
  HubSpotCrm.layer({ accessToken, basePath: sim.url, ...options }).pipe(Layer.provide(budget))

export const runWith =
  (layer: Layer.Layer<Crm>) =>
  <A>(effect: Effect.Effect<A, CrmError, Crm>): Promise<A> =>
    Effect.runPromise(Effect.provide(effect, layer))

export const failureWith =
  (layer: Layer.Layer<Crm>) =>
  <A>(effect: Effect.Effect<A, CrmError, Crm>): Promise<CrmError> =>
    Effect.runPromise(Effect.flip(Effect.provide(effect, layer)))

export const user = (n: number | string, properties: Record<string, string> = {}) => ({
  commerceId: `u-${n}`,
  properties: { email: `u${n}@example.com`, firstname: `First ${n}`, ...properties }
})

export const callsTo = (sim: HubSpotSimulator, pattern: RegExp) => sim.requestLog().filter((r) => pattern.test(r.path)).length

/** A simulator with the id properties set up, fresh for every test of the file. */
export const useAdapterSim = () => {
  const env = {} as { sim: HubSpotSimulator }
  beforeAll(async () => {
    env.sim = await startSim()
  })
  afterAll(() => env.sim.stop())
  beforeEach(async () => {
    env.sim.reset()
    await setup(env.sim)
  })
  return env
}
