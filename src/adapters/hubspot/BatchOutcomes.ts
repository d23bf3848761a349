// Puts a batch answer back in input order: HubSpot returns results in any order and per-item
// errors (207) that name the input only through `context.ids`.
import type { ItemOutcome } from "../../application/ports/Crm.ts"
import { describeItemError } from "./ClassifyHubSpotError.ts"

export interface BatchResult {
  /** What identifies the input: its commerce id (upsert) or the object id (update). */
  readonly key: string | undefined
  readonly id: string
  readonly created: boolean
}
export interface BatchItemError {
  readonly category: string
  readonly message: string
  readonly context?: Readonly<Record<string, ReadonlyArray<string>>>
}

// `ids` names the input; other context (e.g. a conflict's `existingId`) may name another one.
const errorFor = (key: string, errors: ReadonlyArray<BatchItemError>) =>
  errors.find((e) => e.context?.["ids"]?.includes(key)) ?? errors.find((e) => Object.values(e.context ?? {}).some((values) => values.includes(key)))

/** The rejection of an input HubSpot neither applied nor named in an error. */
export type Missing = Omit<Extract<ItemOutcome<string>, { _tag: "Rejected" }>, "_tag">

/** Per-item errors (VALIDATION_ERROR, INVALID_EMAIL...) refuse the input's content: never retryable. */
export const outcomesInOrder = <Id>(
  keys: ReadonlyArray<string>,
  results: ReadonlyArray<BatchResult>,
  errors: ReadonlyArray<BatchItemError>,
  missing: Missing
): Array<ItemOutcome<Id>> => {
  const byKey = new Map(results.flatMap((r) => (r.key === undefined ? [] : [[r.key, r] as const])))
  // An error naming no input at all can only belong to the inputs left without a result.
  const unnamed = errors.filter((e) => !keys.some((k) => errorFor(k, [e]) !== undefined))
  return keys.map((key): ItemOutcome<Id> => {
    const result = byKey.get(key)
    if (result !== undefined) return { _tag: "Applied", id: result.id as Id, created: result.created }
    const error = errorFor(key, errors) ?? unnamed[0]
    return error === undefined
      ? { _tag: "Rejected", ...missing }
      : { _tag: "Rejected", retryable: false, message: describeItemError(error.category, error.message) }
  })
}
