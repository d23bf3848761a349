// Changes made "by a user in HubSpot's UI": no API call, no rate limit, changeSource CRM_UI.
import { associate, unassociate } from "./AssociationMutations.ts"
import { defaultAssociationType } from "./AssociationTypes.ts"
import { archiveObject, createObject, mergeObjects, updateObject } from "./ObjectMutations.ts"
import type { ObjectType } from "./ObjectTypes.ts"
import type { CrmObject, SimStore } from "./SimStore.ts"

export interface CrmUi {
  create(t: ObjectType, properties: Record<string, string>): CrmObject
  update(t: ObjectType, id: string, properties: Record<string, string>): CrmObject | undefined
  archive(t: ObjectType, id: string): void
  merge(t: ObjectType, primaryId: string, mergedId: string): CrmObject | undefined
  associate(from: ObjectType, fromId: string, to: ObjectType, toId: string): void
  unassociate(from: ObjectType, fromId: string, to: ObjectType, toId: string): void
}

export const crmUi = (store: SimStore): CrmUi => ({
  create: (t, properties) => createObject(store, t, properties, "CRM_UI"),
  update: (t, id, properties) => {
    const obj = store.find(t, id)
    return obj === undefined ? undefined : updateObject(store, obj, properties, "CRM_UI")
  },
  archive: (t, id) => {
    const obj = store.find(t, id)
    if (obj !== undefined) archiveObject(store, obj, "CRM_UI")
  },
  merge: (t, primaryId, mergedId) => {
    const [primary, merged] = [store.find(t, primaryId), store.find(t, mergedId)]
    return primary === undefined || merged === undefined ? undefined : mergeObjects(store, primary, merged, "CRM_UI")
  },
  associate: (from, fromId, to, toId) => {
    const def = defaultAssociationType(from, to)
    if (def === undefined) throw new Error(`no association between ${from} and ${to}`)
    associate(store, { objectType: from, id: fromId }, { objectType: to, id: toId }, def, "CRM_UI")
  },
  unassociate: (from, fromId, to, toId) => unassociate(store, { objectType: from, id: fromId }, { objectType: to, id: toId }, "CRM_UI")
})
