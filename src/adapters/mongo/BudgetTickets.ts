// The budget as tickets: one document per token, _id = group + index. FerretDB 1.x loses
// concurrent $inc updates (30 concurrent $inc of 1 left the counter at 6), so counters cannot be
// shared; a unique-_id insert has exactly one winner on every server, so "ticket j of slot s
// exists" is the atomic counter. Pause and daily floor are tickets too: the highest one counts.
import type { Collection } from "mongodb"
import { orDuplicate } from "./MongoOp.ts"

export interface TicketDoc {
  _id: string
  group: string
  j: number
  expiresAt: Date
}

export const highest = async (tickets: Collection<TicketDoc>, group: string): Promise<number | undefined> =>
  (await tickets.findOne({ group }, { sort: { j: -1 } }))?.j

/** Inserts a marker whose value only ever counts when it is the highest (pause, daily floor). */
export const mark = async (tickets: Collection<TicketDoc>, group: string, value: number, expiresAt: number) => {
  await orDuplicate(tickets.insertOne({ _id: `${group}:${value}`, group, j: value, expiresAt: new Date(expiresAt) }))
}

const insert = (tickets: Collection<TicketDoc>, group: string, j: number, expiresAt: number) =>
  orDuplicate(tickets.insertOne({ _id: `${group}:${j}`, group, j, expiresAt: new Date(expiresAt) }))

/** Takes `n` free tickets below `capacity` (slots are small: read which are taken, fill gaps). */
export const takeFree = async (tickets: Collection<TicketDoc>, group: string, capacity: number, n: number, expiresAt: number) => {
  const taken = new Set((await tickets.find({ group }, { projection: { j: 1 } }).toArray()).map((t) => t.j))
  const won: Array<string> = []
  for (let j = 0; j < capacity && won.length < n; j++) {
    if (!taken.has(j) && (await insert(tickets, group, j, expiresAt)) !== "duplicate") won.push(`${group}:${j}`)
  }
  return won
}

/** Takes `n` tickets counting up from `from` (the daily count: large, so never scanned). */
export const takeNext = async (tickets: Collection<TicketDoc>, group: string, from: number, limit: number, n: number, expiresAt: number) => {
  const won: Array<string> = []
  let j = Math.max(from, ((await highest(tickets, group)) ?? -1) + 1)
  while (j < limit && won.length < n) {
    if ((await insert(tickets, group, j, expiresAt)) === "duplicate") j = Math.max(j + 1, ((await highest(tickets, group)) ?? -1) + 1)
    else won.push(`${group}:${j++}`)
  }
  return won
}

export const release = async (tickets: Collection<TicketDoc>, ids: ReadonlyArray<string>) => {
  if (ids.length > 0) await tickets.deleteMany({ _id: { $in: [...ids] } })
}
