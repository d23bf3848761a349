// Parked items in process memory: upserted by id, listed oldest failure first.
import { Effect, Layer } from "effect"
import { type ParkedFilter, type ParkedItem, ParkedItems } from "../../application/ports/ParkedItems.ts"

/** Parked items in a time range: `from` inclusive, `to` exclusive, on `lastFailedAt` (when it was parked). */
export const matchesParked =
  (filter: ParkedFilter) =>
  (item: ParkedItem): boolean =>
    (filter.step === undefined || item.step === filter.step) &&
    (filter.type === undefined || item.message.type === filter.type) &&
    (filter.from === undefined || item.lastFailedAt >= filter.from) &&
    (filter.to === undefined || item.lastFailedAt < filter.to) &&
    (filter.includeReplayed === true || (item.replayedAt === undefined && item.discarded === undefined))

const byLastFailure = (a: ParkedItem, b: ParkedItem) => a.lastFailedAt - b.lastFailedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export const make = Effect.sync(() => {
  const parked = new Map<string, ParkedItem>()
  return ParkedItems.of({
    park: (items) =>
      Effect.sync(() => {
        for (const item of items) parked.set(item.id, item)
      }),
    list: (filter) => Effect.sync(() => [...parked.values()].filter(matchesParked(filter)).sort(byLastFailure)),
    markReplayed: (ids, at) =>
      Effect.sync(() => {
        for (const id of ids) {
          const item = parked.get(id)
          if (item !== undefined && item.lastFailedAt < at) parked.set(id, { ...item, replayedAt: at })
        }
      }),
    discard: (ids, note, at) =>
      Effect.sync(() => {
        for (const id of ids) {
          const item = parked.get(id)
          if (item !== undefined) parked.set(id, { ...item, discarded: { at, note } })
        }
      })
  })
})

export const layer = Layer.effect(ParkedItems, make)
