// Snapshots in process memory: one map per side, the same version guard as the Mongo adapter.
// Inputs of one call are applied in order, so a key given twice behaves like two saves.
import { Effect, Layer } from "effect"
import { type Freshness, freshness } from "../../domain/ConflictRules.ts"
import { type CommerceSnapshot, type CrmSnapshot, Snapshots } from "../../application/ports/Snapshots.ts"

interface Versioned {
  readonly version: number
}

/** Saves each snapshot unless a newer one is stored; an equal version replaces the data. */
const saveAll = <S extends Versioned>(store: Map<string, S>, keyOf: (s: S) => string, snapshots: ReadonlyArray<S>): ReadonlyArray<Freshness> =>
  snapshots.map((s) => {
    const key = keyOf(s)
    const verdict = freshness(s.version, store.get(key)?.version)
    if (verdict !== "older") store.set(key, s)
    return verdict
  })

const getAll = <S>(store: Map<string, S>, keys: ReadonlyArray<string>): ReadonlyArray<S> =>
  [...new Set(keys)].flatMap((key) => {
    const found = store.get(key)
    return found === undefined ? [] : [found]
  })

const crmKey = (k: { readonly type: string; readonly id: string }) => `${k.type}:${k.id}`
const commerceKey = (k: { readonly entity: string; readonly id: string }) => `${k.entity}:${k.id}`

export const make = Effect.sync(() => {
  const crm = new Map<string, CrmSnapshot>()
  const commerce = new Map<string, CommerceSnapshot>()
  return Snapshots.of({
    getCrm: (keys) => Effect.sync(() => getAll(crm, keys.map(crmKey))),
    saveCrm: (snapshots) => Effect.sync(() => saveAll(crm, crmKey, snapshots)),
    getCommerce: (keys) => Effect.sync(() => getAll(commerce, keys.map(commerceKey))),
    saveCommerce: (snapshots) => Effect.sync(() => saveAll(commerce, commerceKey, snapshots))
  })
})

export const layer = Layer.effect(Snapshots, make)
