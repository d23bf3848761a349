// Creates, updates, archives and merges objects, emitting the matching changes.
import { moveAssociations, removeAllAssociations } from "./AssociationMutations.ts"
import type { ObjectType } from "./ObjectTypes.ts"
import type { ChangeSource } from "./SimChange.ts"
import type { CrmObject, SimStore } from "./SimStore.ts"

const readOnly = new Set(["hs_object_id", "hs_lastmodifieddate", "lastmodifieddate", "hs_merged_object_ids"])

const touch = (store: SimStore, obj: CrmObject): void => {
  const now = store.nowIso()
  obj.updatedAt = now
  store.setProperty(obj, "hs_lastmodifieddate", now)
  if (obj.objectType === "contacts") store.setProperty(obj, "lastmodifieddate", now)
}

const writable = (props: Record<string, string>): Array<[string, string]> =>
  Object.entries(props)
    .filter(([name]) => !readOnly.has(name))
    .map(([name, value]) => [name, value === null ? "" : String(value)])

export const createObject = (store: SimStore, t: ObjectType, props: Record<string, string>, source: ChangeSource): CrmObject => {
  const id = store.newId()
  const now = store.nowIso()
  const obj: CrmObject = { id, objectType: t, properties: {}, createdAt: now, updatedAt: now, archived: false }
  for (const [name, value] of writable(props)) if (value !== "") obj.properties[name] = value
  obj.properties["hs_object_id"] = id
  obj.properties["createdate"] ??= now
  if (store.propertyDefs(t).has("hs_createdate")) obj.properties["hs_createdate"] = now
  touch(store, obj)
  store.insert(obj)
  store.emit({ kind: "creation", objectType: t, id, source })
  for (const [name, value] of writable(props)) {
    if (value !== "") store.emit({ kind: "propertyChange", objectType: t, id, name, value, source })
  }
  return obj
}

export const updateObject = (store: SimStore, obj: CrmObject, props: Record<string, string>, source: ChangeSource): CrmObject => {
  const changed = writable(props).filter(([name, value]) => (obj.properties[name] ?? "") !== value)
  for (const [name, value] of changed) store.setProperty(obj, name, value === "" ? undefined : value)
  if (changed.length > 0) touch(store, obj)
  for (const [name, value] of changed) {
    store.emit({ kind: "propertyChange", objectType: obj.objectType, id: obj.id, name, value, source })
  }
  return obj
}

export const archiveObject = (store: SimStore, obj: CrmObject, source: ChangeSource): void => {
  if (obj.archived) return
  removeAllAssociations(store, obj, source)
  store.retire(obj, store.nowIso())
  store.emit({ kind: "deletion", objectType: obj.objectType, id: obj.id, source })
}

const mergedIds = (primary: CrmObject, merged: CrmObject): string => {
  const ids = [primary.properties["hs_merged_object_ids"], merged.id, merged.properties["hs_merged_object_ids"]]
  return ids.filter((v) => v !== undefined && v !== "").join(";")
}

const fillBlanks = (store: SimStore, primary: CrmObject, merged: CrmObject): number => {
  let moved = 0
  for (const [name, value] of Object.entries(merged.properties)) {
    if (primary.properties[name] !== undefined || name.startsWith("hs_object")) continue
    store.setProperty(primary, name, value)
    moved++
  }
  return moved
}

export const mergeObjects = (store: SimStore, primary: CrmObject, merged: CrmObject, source: ChangeSource): CrmObject => {
  const moved = fillBlanks(store, primary, merged)
  const email = merged.properties["email"]
  if (primary.objectType === "contacts" && email !== undefined && email !== primary.properties["email"]) {
    const extra = primary.properties["hs_additional_emails"]
    store.setProperty(primary, "hs_additional_emails", extra === undefined ? email : `${extra};${email}`)
  }
  store.setProperty(primary, "hs_merged_object_ids", mergedIds(primary, merged))
  moveAssociations(store, merged, primary, source)
  store.retire(merged, store.nowIso(), primary.id)
  touch(store, primary)
  const t = primary.objectType
  store.emit({ kind: "merge", objectType: t, primaryId: primary.id, mergedIds: [merged.id], moved, source })
  store.emit({ kind: "deletion", objectType: t, id: merged.id, source })
  return primary
}
