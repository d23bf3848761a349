// TEMPORARY, until the focused store adapters land: the Snapshots and IdLinks ports served by
// the existing SyncStore (memory or Mongo), and a write ledger kept in this process. It lets the
// batch handlers run on today's composition; it answers each key with its own SyncStore call,
// so it says nothing about store operations per entity.
import { Effect, Layer, Option } from "effect"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"
import { IdLinks, type IdLink } from "../../application/ports/IdLinks.ts"
import { type CommerceSnapshot, type CrmSnapshot, Snapshots } from "../../application/ports/Snapshots.ts"
import { StoreError, StoreRejected, StoreUnavailable } from "../../application/ports/StoreError.ts"
import { SyncStore, type SyncStoreError } from "../../application/ports/SyncStore.ts"
import { type LedgerEntry, WriteLedger } from "../../application/ports/WriteLedger.ts"

const toStoreError = (e: SyncStoreError) =>
  new StoreError({ reason: e.isRetryable ? new StoreUnavailable({ message: e.reason.message }) : new StoreRejected({ message: e.reason.message }) })

const each = <A, B>(items: ReadonlyArray<A>, f: (a: A) => Effect.Effect<B, SyncStoreError>) => Effect.forEach(items, f).pipe(Effect.mapError(toStoreError))

const isTombstone = (data: unknown) => typeof data === "object" && data !== null && (data as { deleted?: unknown }).deleted === true

const snapshots = Effect.map(SyncStore, (store) =>
  Snapshots.of({
    getCrm: (keys) =>
      Effect.map(
        each(keys, (k) => Effect.map(store.getSnapshot(k.type, k.id), Option.map((s) => ({ type: k.type, id: k.id, version: s.version, record: s.data }) as CrmSnapshot))),
        (found) => found.flatMap(Option.toArray)
      ),
    saveCrm: (list) => each(list, (s) => store.saveSnapshot({ type: s.type, id: s.id, version: s.version, data: s.record })),
    getCommerce: (keys) =>
      Effect.map(
        each(keys, (k) =>
          Effect.map(
            store.getSnapshot(k.entity, k.id),
            Option.map((s): CommerceSnapshot => ({ entity: k.entity, id: k.id, version: s.version, record: isTombstone(s.data) ? null : (s.data as Record<string, unknown>) }))
          )
        ),
        (found) => found.flatMap(Option.toArray)
      ),
    saveCommerce: (list) => each(list, (s) => store.saveSnapshot({ type: s.entity, id: s.id, version: s.version, data: s.record ?? { deleted: true } }))
  })
)

const idLinks = Effect.map(SyncStore, (store) =>
  IdLinks.of({
    find: (query) =>
      Effect.map(
        Effect.all([
          each(query.crmIds ?? [], (k) => Effect.map(store.commerceIdOf(k.entity, k.id), Option.map((commerceId): IdLink => ({ entity: k.entity, crmId: k.id, commerceId })))),
          each(query.commerceIds ?? [], (k) => Effect.map(store.crmIdOf(k.entity, k.id), Option.map((crmId): IdLink => ({ entity: k.entity, crmId, commerceId: k.id }))))
        ]),
        ([a, b]) => [...a, ...b].flatMap(Option.toArray)
      ),
    link: (links) => Effect.asVoid(each(links, (l) => store.link(l.entity, l.crmId, l.commerceId))),
    repoint: (entity: CommerceEntity, merged, survivor) => store.repoint(entity, merged, survivor).pipe(Effect.mapError(toStoreError))
  })
)

/** Echoes arrive within minutes at the process that wrote: a per-process ledger suffices until the store's own lands. */
const processLedger = Effect.sync(() => {
  const keyOf = (e: { side: string; objectKey: string }) => `${e.side}|${e.objectKey}`
  const byObject = new Map<string, Map<string, LedgerEntry>>()
  return WriteLedger.of({
    record: (list) =>
      Effect.sync(() => {
        for (const e of list) {
          const object = byObject.get(keyOf(e)) ?? new Map<string, LedgerEntry>()
          const id = `${e.property}|${e.valueHash}`
          const before = object.get(id)
          object.set(id, before === undefined || before.expiresAt < e.expiresAt ? e : before)
          byObject.set(keyOf(e), object)
        }
      }),
    find: (keys, now) => Effect.sync(() => keys.flatMap((k) => [...(byObject.get(keyOf(k))?.values() ?? [])].filter((e) => e.expiresAt > now)))
  })
})

export const layer: Layer.Layer<Snapshots | IdLinks | WriteLedger, never, SyncStore> = Layer.mergeAll(
  Layer.effect(Snapshots, snapshots),
  Layer.effect(IdLinks, idLinks),
  Layer.effect(WriteLedger, processLedger)
)
