// Adds and removes associations in both directions, emitting associationChange changes.
import { type AssociationTypeDef, inverseAssociationType } from "./AssociationTypes.ts"
import type { ChangeSource } from "./SimChange.ts"
import type { AssociationEdge, CrmObject, SimStore } from "./SimStore.ts"

export interface Endpoint {
  readonly objectType: CrmObject["objectType"]
  readonly id: string
}

const edge = (store: SimStore, from: Endpoint, to: Endpoint): AssociationEdge => {
  const existing = store.edge(from.objectType, from.id, to.objectType, to.id)
  if (existing !== undefined) return existing
  const created = { fromType: from.objectType, fromId: from.id, toType: to.objectType, toId: to.id, typeIds: [] }
  store.addEdge(created)
  return created
}

const addOne = (store: SimStore, from: Endpoint, to: Endpoint, t: AssociationTypeDef, source: ChangeSource): void => {
  const e = edge(store, from, to)
  if (e.typeIds.includes(t.typeId)) return
  e.typeIds.push(t.typeId)
  store.emit({
    kind: "associationChange",
    fromType: from.objectType,
    fromId: from.id,
    toType: to.objectType,
    toId: to.id,
    removed: false,
    primary: t.primary,
    source
  })
}

export const associate = (store: SimStore, from: Endpoint, to: Endpoint, t: AssociationTypeDef, source: ChangeSource): void => {
  addOne(store, from, to, t, source)
  const inverse = inverseAssociationType(t)
  if (inverse !== undefined) addOne(store, to, from, inverse, source)
}

const removeEdge = (store: SimStore, e: AssociationEdge, source: ChangeSource): void => {
  store.removeEdge(e)
  const primaryIds = new Set([1, 2])
  for (const primary of [false, true].filter((p) => e.typeIds.some((id) => primaryIds.has(id) === p))) {
    store.emit({
      kind: "associationChange",
      fromType: e.fromType,
      fromId: e.fromId,
      toType: e.toType,
      toId: e.toId,
      removed: true,
      primary,
      source
    })
  }
}

export const unassociate = (store: SimStore, from: Endpoint, to: Endpoint, source: ChangeSource): void => {
  for (const [a, b] of [
    [from, to],
    [to, from]
  ] as const) {
    const e = store.edge(a.objectType, a.id, b.objectType, b.id)
    if (e !== undefined) removeEdge(store, e, source)
  }
}

export const removeAllAssociations = (store: SimStore, obj: CrmObject, source: ChangeSource): void => {
  for (const e of store.edgesFrom(obj.objectType, obj.id)) {
    unassociate(store, obj, { objectType: e.toType, id: e.toId }, source)
  }
}

const hasPrimary = (store: SimStore, obj: CrmObject, toType: CrmObject["objectType"]): boolean =>
  store.edgesFrom(obj.objectType, obj.id, toType).some((e) => e.typeIds.includes(1) || e.typeIds.includes(2))

export const moveAssociations = (store: SimStore, from: CrmObject, to: CrmObject, source: ChangeSource): void => {
  for (const e of store.edgesFrom(from.objectType, from.id)) {
    const target = { objectType: e.toType, id: e.toId }
    const keep = [...e.typeIds]
    unassociate(store, from, target, source)
    for (const typeId of keep) {
      const primary = typeId === 1 || typeId === 2
      if (primary && hasPrimary(store, to, e.toType)) continue
      const def = { from: e.fromType, to: e.toType, typeId, label: primary ? "Primary" : null, v3Name: "", primary }
      associate(store, to, target, def, source)
    }
  }
}
