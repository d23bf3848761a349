// How the service decides between two versions of the same data.
import type { FieldRow, Side } from "./CorrespondenceTable.ts"

export type Freshness = "newer" | "same" | "older"

/** Compares source versions (epoch ms): an older version must never overwrite a newer one. */
export const freshness = (incomingAt: number, storedAt: number | undefined): Freshness =>
  storedAt === undefined || incomingAt > storedAt ? "newer" : incomingAt === storedAt ? "same" : "older"

/**
 * Who wins a field, given which sides changed it since the last sync. A field changed on one
 * side only flows from that side. When both changed it, the table's owner wins — not the later
 * clock, since the two sides' clocks are not comparable enough to order concurrent edits.
 */
export const fieldWinner = (row: FieldRow, crmChanged: boolean, commerceChanged: boolean): Side | "none" => {
  if (crmChanged && commerceChanged) return row.owner
  if (crmChanged) return row.direction === "to-crm" ? "none" : "crm"
  if (commerceChanged) return row.direction === "to-commerce" ? "none" : "commerce"
  return "none"
}
