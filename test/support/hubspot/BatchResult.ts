// The BatchResponse envelope: 200/201 when all inputs succeed, 207 with `errors` otherwise.
import { itemError } from "./HubSpotErrors.ts"
import type { SimResponse } from "./SimHttp.ts"
import type { WriteRejection } from "./WriteCheck.ts"

export type ItemError = ReturnType<typeof itemError>

export const batchResponse = (okStatus: number, startedAt: string, results: unknown[], errors: ItemError[]): SimResponse => {
  const base = { status: "COMPLETE", results, startedAt, completedAt: new Date().toISOString() }
  if (errors.length === 0) return { status: okStatus, body: base }
  return { status: 207, body: { ...base, numErrors: errors.length, errors } }
}

export const rejectionItem = (r: WriteRejection, id?: string): ItemError =>
  itemError(r.category, r.message, id === undefined ? r.context : { ...r.context, ids: [id] })

export const tooManyInputs = (inputs: unknown, max: number): boolean => Array.isArray(inputs) && inputs.length > max

export const inputsOf = (body: unknown): unknown[] => {
  const inputs = typeof body === "object" && body !== null ? (body as { inputs?: unknown }).inputs : undefined
  return Array.isArray(inputs) ? inputs : []
}

export const field = (input: unknown, name: string): string | undefined => {
  const v = typeof input === "object" && input !== null ? (input as Record<string, unknown>)[name] : undefined
  return v === undefined || v === null ? undefined : String(v)
}
