// A tiny in-memory ParkedItems for the bus tests, until the store's own memory adapter lands.
import { Effect, Layer } from "effect"
import { type ParkedItem, ParkedItems } from "../../src/application/ports/ParkedItems.ts"

export const layer = (): Layer.Layer<ParkedItems> =>
  Layer.sync(ParkedItems, () => {
    const items = new Map<string, ParkedItem>()
    return ParkedItems.of({
      park: (parked) =>
        Effect.sync(() => {
          for (const item of parked) items.set(item.id, item)
        }),
      list: (filter) =>
        Effect.sync(() =>
          [...items.values()].filter(
            (i) =>
              (filter.step === undefined || i.step === filter.step) &&
              (filter.type === undefined || i.message.type === filter.type) &&
              (filter.includeReplayed === true || i.replayedAt === undefined)
          )
        ),
      markReplayed: (ids, at) =>
        Effect.sync(() => {
          for (const id of ids) {
            const item = items.get(id)
            if (item !== undefined) items.set(id, { ...item, replayedAt: at })
          }
        })
    })
  })
