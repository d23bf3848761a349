// Snapshots in process memory: one map per side, the same version guard as the Mongo adapter.
// Bounded (issue 9 #13): at most `maxPerSide` snapshots per side, least recently used dropped
// first. An evicted snapshot is a record seen for the first time again: flow A sends it whole,
// and flow C has no stored version to compare an older event with. The default bound is far
// above what the in-memory default (`bun start`, a demo or a test) holds.
// Inputs of one call are applied in order, so a key given twice behaves like two saves.
import { Effect, Layer } from "effect"
import { type CommerceSnapshot, type CrmSnapshot, Snapshots } from "../../application/ports/Snapshots.ts"
import { type Freshness, freshness } from "../../domain/ConflictRules.ts"

interface Versioned {
  readonly version: number
}

export const DEFAULT_MAX_PER_SIDE = 200_000

/** Map order is recency of use: touching a key moves it last; the first keys are evicted. */
const touch = <S>(store: Map<string, S>, key: string, value: S) => {
  store.delete(key)
  store.set(key, value)
}
const bound = <S>(store: Map<string, S>, max: number) => {
  for (const key of store.keys()) {
    if (store.size <= max) return
    store.delete(key)
  }
}

/** Saves each snapshot unless a newer one is stored; an equal version replaces the data. */
const saveAll = <S extends Versioned>(store: Map<string, S>, keyOf: (s: S) => string, snapshots: ReadonlyArray<S>, max: number): ReadonlyArray<Freshness> => {
  const verdicts = snapshots.map((s) => {
    const key = keyOf(s)
    const stored = store.get(key)
    const verdict = freshness(s.version, stored?.version)
    if (verdict !== "older") touch(store, key, s)
    else if (stored !== undefined) touch(store, key, stored)
    return verdict
  })
  bound(store, max)
  return verdicts
}

const getAll = <S>(store: Map<string, S>, keys: ReadonlyArray<string>): ReadonlyArray<S> =>
  [...new Set(keys)].flatMap((key) => {
    const found = store.get(key)
    if (found === undefined) return []
    touch(store, key, found)
    return [found]
  })

const crmKey = (k: { readonly type: string; readonly id: string }) => `${k.type}:${k.id}`
const commerceKey = (k: { readonly entity: string; readonly id: string }) => `${k.entity}:${k.id}`

export const makeBounded = (maxPerSide: number) =>
  Effect.sync(() => {
    const crm = new Map<string, CrmSnapshot>()
    const commerce = new Map<string, CommerceSnapshot>()
    return Snapshots.of({
      getCrm: (keys) => Effect.sync(() => getAll(crm, keys.map(crmKey))),
      saveCrm: (snapshots) => Effect.sync(() => saveAll(crm, crmKey, snapshots, maxPerSide)),
      getCommerce: (keys) => Effect.sync(() => getAll(commerce, keys.map(commerceKey))),
      saveCommerce: (snapshots) => Effect.sync(() => saveAll(commerce, commerceKey, snapshots, maxPerSide))
    })
  })

export const make = makeBounded(DEFAULT_MAX_PER_SIDE)

export const layer = Layer.effect(Snapshots, make)
