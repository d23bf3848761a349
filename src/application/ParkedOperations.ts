// What an operator does with parked messages: find them (by step, type, entity id, reason text,
// time), look at one, replay (back to its step with a fresh attempt count) or discard with a note.
// Replaying or discarding what is already settled does nothing: both are idempotent.
import { Clock, Effect } from "effect"
import { MessageBus } from "./ports/MessageBus.ts"
import { Metrics } from "./ports/Metrics.ts"
import { type ParkedFilter, type ParkedItem, ParkedItems } from "./ports/ParkedItems.ts"

export interface ParkedQuery extends ParkedFilter {
  /** An id (CRM or commerce) the message mentions. */
  readonly entity?: string
  /** Text the reason contains, case-insensitive. */
  readonly reason?: string
  readonly limit?: number
  readonly offset?: number
}
export interface ParkedPage {
  readonly total: number
  readonly items: ReadonlyArray<ParkedItem>
}
export interface Settled {
  /** Ids acted on now. */
  readonly done: ReadonlyArray<string>
  /** Ids already replayed or discarded: left as they are. */
  readonly skipped: ReadonlyArray<string>
  readonly unknown: ReadonlyArray<string>
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The id stands alone in the message (a JSON string or number), not inside a longer id. */
export const mentions = (id: string) => {
  const pattern = new RegExp(`(^|[^0-9A-Za-z_-])${escapeRegExp(id)}($|[^0-9A-Za-z_-])`)
  return (item: ParkedItem) => pattern.test(JSON.stringify(item.message.payload)) || item.message.id === id
}

const matches = (query: ParkedQuery) => (item: ParkedItem) =>
  (query.entity === undefined || mentions(query.entity)(item)) && (query.reason === undefined || item.reason.toLowerCase().includes(query.reason.toLowerCase()))

/** The store filters what it can; entity and reason text are matched here (parking stays small). */
export const findParked = Effect.fn("findParked")(function* (query: ParkedQuery) {
  const parked = yield* ParkedItems
  const all = (yield* parked.list(query)).filter(matches(query))
  const offset = query.offset ?? 0
  return { total: all.length, items: all.slice(offset, offset + (query.limit ?? 50)) } satisfies ParkedPage
})

/** The step is the id's prefix (`${step}:${message.id}`), so one item is one filtered read. */
const byIds = Effect.fnUntraced(function* (ids: ReadonlyArray<string>) {
  const parked = yield* ParkedItems
  const steps = [...new Set(ids.map((id) => id.slice(0, Math.max(0, id.indexOf(":")))))]
  const lists = yield* Effect.forEach(steps, (step) => parked.list({ step, includeReplayed: true }), { concurrency: 4 })
  const wanted = new Set(ids)
  return lists.flat().filter((item) => wanted.has(item.id))
})

export const showParked = Effect.fn("showParked")(function* (id: string) {
  const [item] = yield* byIds([id])
  return item
})

const settledAlready = (item: ParkedItem) => item.replayedAt !== undefined || item.discarded !== undefined

const sortOut = (ids: ReadonlyArray<string>, items: ReadonlyArray<ParkedItem>) => {
  const found = new Set(items.map((i) => i.id))
  return {
    open: items.filter((i) => !settledAlready(i)),
    skipped: items.filter(settledAlready).map((i) => i.id),
    unknown: ids.filter((id) => !found.has(id))
  }
}

const countBySteps = (name: "messages_replayed_total" | "messages_discarded_total", items: ReadonlyArray<ParkedItem>) =>
  Effect.flatMap(Effect.service(Metrics), (metrics) => {
    const bySteps = new Map<string, number>()
    for (const item of items) bySteps.set(item.step, (bySteps.get(item.step) ?? 0) + 1)
    return Effect.forEach(bySteps, ([step, n]) => metrics.count(name, { step }, n), { discard: true })
  })

/**
 * Puts each message back on its step's queue with attempt 1, then marks it replayed (one store
 * call). A message that fails again is parked again under the same id, which clears the mark.
 * Messages whose replay the bus refused stay parked and unmarked.
 */
const replayItems = Effect.fnUntraced(function* (items: ReadonlyArray<ParkedItem>) {
  const bus = yield* MessageBus
  const parked = yield* ParkedItems
  // Taken before publishing: a message that fails and is parked again meanwhile keeps its place.
  const startedAt = yield* Clock.currentTimeMillis
  const sent = yield* Effect.forEach(
    items,
    (item) =>
      bus.replay(item.step, { ...item.message, attempt: 1 }).pipe(
        Effect.as([item]),
        Effect.catch((error) => Effect.logWarning(`replaying ${item.id} failed`, error.message).pipe(Effect.as([])))
      ),
    { concurrency: 8 }
  ).pipe(Effect.map((lists) => lists.flat()))
  yield* parked.markReplayed(
    sent.map((i) => i.id),
    startedAt
  )
  yield* countBySteps("messages_replayed_total", sent)
  return sent.map((i) => i.id)
})

export const replayParked = Effect.fn("replayParked")(function* (ids: ReadonlyArray<string>) {
  const { open, skipped, unknown } = sortOut(ids, yield* byIds(ids))
  const done = yield* replayItems(open)
  return { done, skipped: [...skipped, ...open.filter((i) => !done.includes(i.id)).map((i) => i.id)], unknown } satisfies Settled
})

/** Every unsettled item the query matches (its limit and offset ignored). */
export const replayMatching = Effect.fn("replayMatching")(function* (query: ParkedQuery) {
  const { items } = yield* findParked({ ...query, includeReplayed: false, offset: 0, limit: Number.MAX_SAFE_INTEGER })
  const done = yield* replayItems(items)
  return { done, skipped: items.filter((i) => !done.includes(i.id)).map((i) => i.id), unknown: [] } satisfies Settled
})

export const discardParked = Effect.fn("discardParked")(function* (ids: ReadonlyArray<string>, note: string) {
  const { open, skipped, unknown } = sortOut(ids, yield* byIds(ids))
  const parked = yield* ParkedItems
  yield* parked.discard(
    open.map((i) => i.id),
    note,
    yield* Clock.currentTimeMillis
  )
  yield* countBySteps("messages_discarded_total", open)
  return { done: open.map((i) => i.id), skipped, unknown } satisfies Settled
})
