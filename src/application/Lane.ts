import { Context } from "effect"

export type LaneName = "live" | "backfill"

/**
 * The lane the current work belongs to. Adapters that spend the HubSpot budget read it, so the
 * backfill never takes what live sync needs without every call site passing it along.
 */
export const Lane = Context.Reference<LaneName>("crm-sync/application/Lane", { defaultValue: () => "live" })
