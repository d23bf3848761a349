// Renders stored objects as HubSpot's SimplePublicObject / WithAssociations JSON.
import { associationTypes } from "./AssociationTypes.ts"
import { defaultPropertyNames } from "./DefaultProperties.ts"
import { type ObjectType, resolveObjectType } from "./ObjectTypes.ts"
import type { CrmObject, SimStore } from "./SimStore.ts"

const alwaysReturned = (t: ObjectType): string[] => [
  "hs_object_id",
  t === "orders" ? "hs_createdate" : "createdate",
  t === "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"
]

const pick = (obj: CrmObject, names: readonly string[]): Record<string, string | null> => Object.fromEntries(names.map((n) => [n, obj.properties[n] ?? null]))

/** Properties of a read: the defaults, or the requested ones plus the system ones. */
export const readProperties = (obj: CrmObject, requested: readonly string[]): Record<string, string | null> => {
  const t = obj.objectType
  const names = requested.length === 0 ? defaultPropertyNames[t] : [...new Set([...requested, ...alwaysReturned(t)])]
  return pick(obj, [...names].sort())
}

export const publicObject = (obj: CrmObject, properties: Record<string, string | null>) => ({
  id: obj.id,
  properties,
  createdAt: obj.createdAt,
  updatedAt: obj.updatedAt,
  archived: obj.archived,
  ...(obj.archivedAt !== undefined ? { archivedAt: obj.archivedAt } : {})
})

export const writtenObject = (obj: CrmObject) => publicObject(obj, { ...obj.properties })

export const readObject = (obj: CrmObject, requested: readonly string[]) => publicObject(obj, readProperties(obj, requested))

const v3Associations = (store: SimStore, obj: CrmObject, toType: ObjectType) => {
  const results = store.edgesFrom(obj.objectType, obj.id, toType).flatMap((e) =>
    e.typeIds.map((typeId) => ({
      id: e.toId,
      type: associationTypes.find((t) => t.typeId === typeId)?.v3Name ?? String(typeId)
    }))
  )
  return { results }
}

export const readObjectWithAssociations = (store: SimStore, obj: CrmObject, requested: readonly string[], associations: readonly string[]) => {
  const base = readObject(obj, requested)
  const entries = associations.flatMap((raw) => {
    const t = resolveObjectType(raw)
    if (t === undefined) return []
    const found = v3Associations(store, obj, t)
    return found.results.length === 0 ? [] : [[t, found] as const]
  })
  return entries.length === 0 ? base : { ...base, associations: Object.fromEntries(entries) }
}
