import { Context } from "effect"

export type LaneName = "live" | "backfill"

/**
 * The lane the current work belongs to. Adapters that spend the HubSpot budget read it, so the
 * backfill never takes what live sync needs without every call site passing it along.
 */
export const Lane = Context.Reference<LaneName>("crm-sync/application/Lane", { defaultValue: () => "live" })

/**
 * The backfill share the current work asks for (a job's `--share`); undefined: BACKFILL_SHARE.
 * Read by the budget when it leases for the backfill lane.
 */
export const LaneShare = Context.Reference<number | undefined>("crm-sync/application/LaneShare", { defaultValue: () => undefined })

/** Counts the CRM calls the current work makes (a backfill page's), when one is provided. */
export const CallTally = Context.Reference<{ calls: number } | undefined>("crm-sync/application/CallTally", { defaultValue: () => undefined })
