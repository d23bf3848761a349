// HubSpot's per-property validation ("Property values were not valid: [...]").
import type { ObjectType } from "./ObjectTypes.ts"
import type { SimStore } from "./SimStore.ts"

export interface PropertyIssue {
  readonly isValid: false
  readonly message: string
  readonly error: string
  readonly name: string
  readonly localizedErrorMessage: string
}

export interface UniqueConflict {
  readonly name: string
  readonly value: string
  readonly existingId: string
}

const issue = (name: string, error: string, message: string): PropertyIssue => ({
  isValid: false,
  message,
  error,
  name,
  localizedErrorMessage: message
})

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

const checkValue = (store: SimStore, t: ObjectType, name: string, value: string): PropertyIssue | undefined => {
  const def = store.propertyDefs(t).get(name)
  if (def === undefined) return issue(name, "PROPERTY_DOESNT_EXIST", `Property "${name}" does not exist`)
  if (value === "") return undefined
  if (t === "contacts" && name === "email" && !emailPattern.test(value)) return issue(name, "INVALID_EMAIL", `Email address ${value} is invalid`)
  if (def.type === "number" && !Number.isFinite(Number(value))) return issue(name, "INVALID_DOUBLE", `${value} was not a valid number.`)
  if (def.type === "enumeration" && def.options.length > 0 && !def.options.some((o) => o.value === value))
    return issue(name, "INVALID_OPTION", `${value} was not one of the allowed options: ${def.options.map((o) => o.value).join(", ")}`)
  return undefined
}

export const validateProperties = (store: SimStore, t: ObjectType, props: Record<string, string>): PropertyIssue[] =>
  Object.entries(props).flatMap(([name, value]) => {
    const found = checkValue(store, t, name, String(value))
    return found === undefined ? [] : [found]
  })

const isUnique = (store: SimStore, t: ObjectType, name: string): boolean =>
  (t === "contacts" && name === "email") || store.propertyDefs(t).get(name)?.hasUniqueValue === true

export const findUniqueConflict = (store: SimStore, t: ObjectType, props: Record<string, string>, selfId?: string): UniqueConflict | undefined => {
  for (const [name, value] of Object.entries(props)) {
    if (value === "" || !isUnique(store, t, name)) continue
    const other = store.findByValue(t, name, value)
    if (other !== undefined && other.id !== selfId) return { name, value, existingId: other.id }
  }
  return undefined
}
