// Which lanes lease in other processes sharing the budget (BudgetPolicy.Elsewhere): one document
// per process and lane in the budget collection, written only by that process (an upsert by _id
// has no concurrent writer, so FerretDB's non-atomic updates cannot interleave), its `at` the
// lane's last lease. A hint for the lease decision, never a count: the burst stays safe without it.
import type { Collection } from "mongodb"
import * as BudgetPolicy from "../../application/BudgetPolicy.ts"
import type { LaneName } from "../../application/Lane.ts"
import type { LeaseDoc } from "./BudgetLeases.ts"

/** A lane's document is rewritten at most this often while it leases (a write per lane per 2 s). */
const NOTE_MS = 2_000
/** Other processes' documents are read at most this often, beside the leases (never before one). */
const READ_MS = 1_000

export const laneActivity = (leases: Collection<LeaseDoc>) => {
  const self = crypto.randomUUID()
  const noted: Record<LaneName, number> = { live: Number.NEGATIVE_INFINITY, backfill: Number.NEGATIVE_INFINITY }
  let known: BudgetPolicy.Elsewhere = BudgetPolicy.nowhere
  let readAt = Number.NEGATIVE_INFINITY
  let reading: Promise<void> | undefined

  /**
   * Records that this process leased for `lane` at `now`: a write only when the last one is stale,
   * beside the lease rather than before it (a slow store must not hold a live lease back). A failed
   * write is tried again at the next lease.
   */
  const note = (lane: LaneName, now: number): void => {
    if (now - noted[lane] < NOTE_MS) return
    const before = noted[lane]
    noted[lane] = now
    const doc = { group: "active", j: 0, lane, at: now, expiresAt: new Date(now + BudgetPolicy.LANE_ACTIVE_MS + 60_000) }
    leases.replaceOne({ _id: `active:${self}:${lane}` }, doc, { upsert: true }).catch(() => {
      noted[lane] = before
    })
  }

  /** Every process's lane documents written within the activity window. */
  const recent = (now: number) => leases.find({ group: "active", at: { $gt: now - BudgetPolicy.LANE_ACTIVE_MS } }).toArray()

  const read = async (now: number) => {
    const docs = await recent(now)
    const others = docs.filter((doc) => !doc._id.startsWith(`active:${self}:`))
    known = { live: others.some((doc) => doc.lane === "live"), backfill: others.some((doc) => doc.lane === "backfill") }
  }

  /**
   * What other processes did lately, as last read: a read at most every READ_MS runs beside the
   * caller's lease instead of before it (a lease costs no extra round trip), so the answer is up
   * to a second or two old. A failed read leaves the last answer, and the next lease tries again.
   */
  const elsewhere = (now: number): BudgetPolicy.Elsewhere => {
    // An answer older than the activity window says nothing about now (no lease for a while).
    const fresh = now - readAt < BudgetPolicy.LANE_ACTIVE_MS
    if (reading === undefined && now - readAt >= READ_MS) {
      readAt = now
      reading = read(now)
        .catch(() => undefined)
        .finally(() => {
          reading = undefined
        })
    }
    return fresh ? known : BudgetPolicy.nowhere
  }

  /** How many processes leased for each lane lately, this one included (a read: for operators). */
  const count = async (now: number) => {
    const docs = await recent(now)
    return { live: docs.filter((doc) => doc.lane === "live").length, backfill: docs.filter((doc) => doc.lane === "backfill").length }
  }

  return { note, elsewhere, count }
}
