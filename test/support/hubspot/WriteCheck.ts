// Validates one write (single or batch item) and says how HubSpot would reject it.
import { rejectionFor } from "./Faults.ts"
import { propertyIssuesMessage } from "./HubSpotErrors.ts"
import { type ObjectType, objectTypes } from "./ObjectTypes.ts"
import { findUniqueConflict, validateProperties } from "./PropertyValidation.ts"
import type { SimContext } from "./SimContext.ts"

export interface WriteRejection {
  readonly status: number
  readonly category: string
  readonly message: string
  readonly context: Record<string, string[]>
}

const conflictMessage = (t: ObjectType, name: string, value: string, existingId: string): string =>
  t === "contacts" && name === "email"
    ? `Contact already exists. Existing ID: ${existingId}`
    : `A ${objectTypes[t].singular} with ${name} "${value}" already exists. Existing ID: ${existingId}`

export const checkWrite = (ctx: SimContext, t: ObjectType, props: Record<string, string>, selfId?: string): WriteRejection | undefined => {
  const issues = validateProperties(ctx.store, t, props)
  if (issues.length > 0) {
    const context = { propertyName: issues.map((i) => i.name) }
    return { status: 400, category: "VALIDATION_ERROR", message: propertyIssuesMessage(issues), context }
  }
  const injected = rejectionFor(ctx.faults.faults, t, props)
  if (injected !== undefined) return { status: 400, category: "VALIDATION_ERROR", message: injected, context: {} }
  const conflict = findUniqueConflict(ctx.store, t, props, selfId)
  if (conflict === undefined) return undefined
  const message = conflictMessage(t, conflict.name, conflict.value, conflict.existingId)
  return { status: 409, category: "CONFLICT", message, context: { existingId: [conflict.existingId] } }
}

export const propertiesOf = (input: unknown): Record<string, string> => {
  const props = typeof input === "object" && input !== null ? (input as { properties?: unknown }).properties : undefined
  if (typeof props !== "object" || props === null) return {}
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v === null ? "" : String(v)]))
}
