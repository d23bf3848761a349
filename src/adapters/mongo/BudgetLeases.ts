// The budget as leases: one document per lease, _id = group#number. FerretDB 1.x applies
// concurrent updates non-atomically (30 concurrent $inc of 1 left a counter at 6), so nothing is
// counted in place; a unique-_id insert has exactly one winner on every server. Lease n is only
// written by a process that saw leases 0..n-1, so it is decided against all of them: the sum of a
// group's leases can never pass its limit, whichever replica wins each number.
import type { Collection } from "mongodb"
import type { LaneName } from "../../application/Lane.ts"
import { orDuplicate } from "./MongoOp.ts"

export interface LeaseDoc {
  _id: string
  group: string
  j: number
  /** Slot leases: tokens taken, and how many of them the backfill took. */
  tokens?: number
  backfill?: number
  /** A slot lease that only records a 429 pause: nobody leases before then. */
  pauseUntil?: number
  /** Daily leases: the day's count once this lease is spent. */
  top?: number
  /** Lane activity (LaneActivity): the lane a process leased for, and when it last did. */
  lane?: LaneName
  at?: number
  expiresAt: Date
}

export type Draft = Omit<LeaseDoc, "_id" | "group" | "j" | "expiresAt">

/** Leases 0..n-1 without a gap: what the next number may be decided against. */
const prefix = (docs: ReadonlyArray<LeaseDoc>): Array<LeaseDoc> => {
  const sorted = [...docs].sort((a, b) => a.j - b.j)
  const end = sorted.findIndex((doc, i) => doc.j !== i)
  return end === -1 ? sorted : sorted.slice(0, end)
}

export const readGroup = async (leases: Collection<LeaseDoc>, group: string) => prefix(await leases.find({ group }).toArray())

export interface Appended {
  readonly known: ReadonlyArray<LeaseDoc>
  readonly won: LeaseDoc | undefined
  /** Another process appended first: next time, reading before inserting is the cheaper guess. */
  readonly contended: boolean
}

/**
 * Appends the lease `decide` makes from the leases known so far (`undefined`: nothing to take).
 * Starts from what this process already knows, so an uncontended lease is ONE insert; a lost race
 * costs a read and another try. `readFirst` (other replicas are active) reads before the first try:
 * when they left nothing, that read is the only operation.
 */
export const append = async (
  leases: Collection<LeaseDoc>,
  group: string,
  known: ReadonlyArray<LeaseDoc>,
  expiresAt: number,
  decide: (known: ReadonlyArray<LeaseDoc>) => Draft | undefined,
  readFirst = false,
  tries = 8
): Promise<Appended> => {
  if (readFirst) known = await readGroup(leases, group)
  let contended = readFirst && known.length > 0
  for (let attempt = 0; attempt < tries; attempt++) {
    const draft = decide(known)
    if (draft === undefined) return { known, won: undefined, contended }
    const doc: LeaseDoc = { _id: `${group}#${known.length}`, group, j: known.length, ...draft, expiresAt: new Date(expiresAt) }
    if ((await orDuplicate(leases.insertOne(doc))) !== "duplicate") return { known: [...known, doc], won: doc, contended }
    contended = true
    known = await readGroup(leases, group)
  }
  throw new Error(`budget: ${tries} lost races in a row for ${group}`)
}

/** The highest marker of a group: only the highest counts. */
export const highest = async (leases: Collection<LeaseDoc>, group: string): Promise<number | undefined> =>
  (await leases.findOne({ group }, { sort: { j: -1 } }))?.j

/** Inserts a marker whose value only ever counts when it is the highest (the daily floor). */
export const mark = async (leases: Collection<LeaseDoc>, group: string, value: number, expiresAt: number) => {
  await orDuplicate(leases.insertOne({ _id: `${group}:${value}`, group, j: value, expiresAt: new Date(expiresAt) }))
}
