// A step's retry and batching tuning, read from the environment: shared values (`RETRY_TIERS_MS`,
// `RETRY_MAX_ATTEMPTS`, `DELIVERY_LIMIT`, `PREFETCH`) overridden per step with its name as a
// prefix, e.g. `WRITE_BACK_IDS_RETRY_TIERS_MS=500,5000`.
import { Config, ConfigProvider } from "effect"

export interface StepTuning {
  /** Delays of the retry tiers, shortest first. */
  readonly retryTiersMs: ReadonlyArray<number>
  readonly maxAttempts: number
  readonly deliveryLimit: number
  readonly prefetch: number
}

export const defaultTuning: StepTuning = { retryTiersMs: [1_000, 10_000, 60_000, 600_000], maxAttempts: 8, deliveryLimit: 5, prefetch: 100 }

// A malformed list is refused at start: read as "no tiers" it would park every transient failure.
const tiers = (name: string) =>
  Config.flatMap(Config.String(name), (list) => {
    const delays = list.split(",").map((v) => Number(v.trim()))
    const valid = delays.length > 0 && delays.every((v) => Number.isInteger(v) && v > 0)
    return valid
      ? Config.succeed(delays)
      : Config.fail(new ConfigProvider.SourceError({ message: `${name} must be a comma-separated list of positive whole milliseconds, got "${list}"` }))
  })

const tuningWith = (prefix: string, base: StepTuning): Config.Config<StepTuning> =>
  Config.all({
    retryTiersMs: tiers(`${prefix}RETRY_TIERS_MS`).pipe(Config.withDefault(base.retryTiersMs)),
    maxAttempts: Config.Int(`${prefix}RETRY_MAX_ATTEMPTS`).pipe(Config.withDefault(base.maxAttempts)),
    deliveryLimit: Config.Int(`${prefix}DELIVERY_LIMIT`).pipe(Config.withDefault(base.deliveryLimit)),
    prefetch: Config.Int(`${prefix}PREFETCH`).pipe(Config.withDefault(base.prefetch))
  })

export const envPrefix = (stepName: string): string => `${stepName.toUpperCase().replaceAll("-", "_")}_`

/**
 * The tunings of the named steps, in order: each step's own variables, else the step's declared
 * defaults (`stepDefaults`, by position), else the shared ones.
 */
export const tuningsOf = (stepNames: ReadonlyArray<string>, stepDefaults: ReadonlyArray<Partial<StepTuning>> = []): Config.Config<ReadonlyArray<StepTuning>> =>
  Config.flatMap(tuningWith("", defaultTuning), (shared) =>
    Config.all(stepNames.map((name, i) => tuningWith(envPrefix(name), { ...shared, ...stepDefaults[i] })))
  )
