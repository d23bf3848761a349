// The in-process retry schedules, defined once. Message-level retries go through the broker's
// tiers (RetryDecision); these cover loops that must keep going, such as the outbox relay.
import { type Duration, Schedule } from "effect"

/** Exponential from `base`, never longer than `cap`, jittered so replicas do not retry in step. */
export const cappedBackoff = (base: Duration.Input, cap: Duration.Input) =>
  Schedule.min([Schedule.exponential(base), Schedule.spaced(cap)]).pipe(Schedule.jittered)
