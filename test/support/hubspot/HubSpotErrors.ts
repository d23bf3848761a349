// Error bodies in the exact shapes HubSpot answers with.
import { randomUUID } from "node:crypto"
import type { PropertyIssue } from "./PropertyValidation.ts"
import type { SimResponse } from "./SimHttp.ts"

export interface ErrorBody {
  status: "error"
  message: string
  correlationId: string
  category: string
  context?: Record<string, string[]>
  errors?: unknown[]
  subCategory?: string
}

export const errorBody = (category: string, message: string, extra: Partial<ErrorBody> = {}): ErrorBody => ({
  status: "error",
  message,
  correlationId: randomUUID(),
  category,
  ...extra
})

export const errorResponse = (status: number, category: string, message: string, extra: Partial<ErrorBody> = {}): SimResponse => ({
  status,
  body: errorBody(category, message, extra)
})

export const validationError = (message: string, extra: Partial<ErrorBody> = {}): SimResponse => errorResponse(400, "VALIDATION_ERROR", message, extra)

export const propertyIssuesMessage = (issues: readonly PropertyIssue[]): string => `Property values were not valid: ${JSON.stringify(issues)}`

export const notFound = (id: string): SimResponse =>
  errorResponse(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", { context: { id: [id] } })

export const unauthorized = (): SimResponse =>
  errorResponse(
    401,
    "INVALID_AUTHENTICATION",
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
  )

/** The per-item error inside a 207 Multi-Status batch answer (StandardError). */
export interface StandardError {
  status: "error"
  category: string
  message: string
  context: Record<string, string[]>
  errors: unknown[]
  links: Record<string, string>
  subCategory?: string
}

export const itemError = (category: string, message: string, context: Record<string, string[]>): StandardError => ({
  status: "error",
  category,
  message,
  context,
  errors: [],
  links: {}
})

export const rateLimited = (policyName: "TEN_SECONDLY_ROLLING" | "DAILY" | "SECONDLY"): SimResponse => {
  const messages = {
    TEN_SECONDLY_ROLLING: "You have reached your ten_secondly_rolling limit.",
    DAILY: "You have reached your daily limit.",
    SECONDLY: "You have reached your secondly limit."
  }
  return {
    status: 429,
    body: { status: "error", message: messages[policyName], errorType: "RATE_LIMIT", correlationId: randomUUID(), policyName }
  }
}
