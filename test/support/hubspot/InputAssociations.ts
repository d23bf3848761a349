// The `associations` array accepted when creating objects.
import { associate } from "./AssociationMutations.ts"
import { findAssociationType } from "./AssociationTypes.ts"
import type { ObjectType } from "./ObjectTypes.ts"
import type { ChangeSource } from "./SimChange.ts"
import type { CrmObject, SimStore } from "./SimStore.ts"
import type { WriteRejection } from "./WriteCheck.ts"

interface InputAssociation {
  to?: { id?: string }
  types?: Array<{ associationCategory?: string; associationTypeId?: number }>
}

const inputsOf = (input: unknown): InputAssociation[] => {
  const list = typeof input === "object" && input !== null ? (input as { associations?: unknown }).associations : undefined
  return Array.isArray(list) ? (list as InputAssociation[]) : []
}

const resolve = (store: SimStore, from: ObjectType, a: InputAssociation) =>
  (a.types ?? []).map((spec) => {
    const def = findAssociationType(Number(spec.associationTypeId), from)
    const target = def === undefined ? undefined : store.find(def.to, String(a.to?.id ?? ""))
    return { def, target, spec }
  })

export const checkInputAssociations = (store: SimStore, from: ObjectType, input: unknown): WriteRejection | undefined => {
  for (const a of inputsOf(input)) {
    for (const { def, target, spec } of resolve(store, from, a)) {
      if (def === undefined)
        return {
          status: 400,
          category: "VALIDATION_ERROR",
          message: `association type id ${spec.associationTypeId} doesn't exist between ${from} and the target`,
          context: {}
        }
      if (target === undefined)
        return {
          status: 400,
          category: "VALIDATION_ERROR",
          message: `One or more associated objects were not found: ${a.to?.id}`,
          context: { ids: [String(a.to?.id)] }
        }
    }
  }
  return undefined
}

export const applyInputAssociations = (store: SimStore, obj: CrmObject, input: unknown, source: ChangeSource): void => {
  for (const a of inputsOf(input)) {
    for (const { def, target } of resolve(store, obj.objectType, a)) {
      if (def !== undefined && target !== undefined) associate(store, obj, target, def, source)
    }
  }
}
