// TEMPORARY: ParkedItems over the old SyncStore's park/listParked/markReplayed, until the
// focused store adapters (memory and Mongo ParkedItems) land; then this file goes.
import { Effect, Layer } from "effect"
import { type ParkedItem, ParkedItems } from "../../application/ports/ParkedItems.ts"
import { StoreError, StoreRejected, StoreUnavailable } from "../../application/ports/StoreError.ts"
import { SyncStore, type SyncStoreError } from "../../application/ports/SyncStore.ts"

const toStoreError = (error: SyncStoreError): StoreError =>
  new StoreError({
    reason: error.reason._tag === "StoreUnavailable" ? new StoreUnavailable({ message: error.reason.message }) : new StoreRejected({ message: error.reason.message })
  })

export const layer: Layer.Layer<ParkedItems, never, SyncStore> = Layer.effect(
  ParkedItems,
  Effect.map(SyncStore, (store) =>
    ParkedItems.of({
      // The old port parks one item per call; concurrently, so a batch costs one round trip of time.
      park: (items: ReadonlyArray<ParkedItem>) => Effect.forEach(items, (item) => store.park(item), { concurrency: "unbounded", discard: true }).pipe(Effect.mapError(toStoreError)),
      list: (filter) => store.listParked(filter).pipe(Effect.mapError(toStoreError)),
      markReplayed: (ids, at) => store.markReplayed(ids, at).pipe(Effect.mapError(toStoreError))
    })
  )
)
