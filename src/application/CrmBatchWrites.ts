// HubSpot writes for a whole batch: one call per object type (the adapter chunks at 100), one
// outcome per record. Two inputs for one record become one (later properties win), and a
// batch the CRM refuses as a whole for one bad input is split until the bad one stands alone, so
// only it is refused and its neighbours are not parked.
import { Effect } from "effect"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { Crm, type CrmError, type CrmIdOf, type ItemOutcome } from "./ports/Crm.ts"

export type Outcome = ItemOutcome<string>

/** A refused record: retryable where the CRM answered nothing for it. */
export interface Refusal {
  readonly retryable: boolean
  readonly message: string
}

export const refusalOf = (outcome: Extract<Outcome, { _tag: "Rejected" }>): Refusal => ({ retryable: outcome.retryable, message: outcome.message })
/** An input the CRM answered nothing for: asking again may work. */
const NO_OUTCOME: Outcome = { _tag: "Rejected", retryable: true, message: "no outcome for this input" }

/**
 * A batch refused as a whole is split in halves until the refused inputs stand alone: a few calls
 * for one bad input among 100, not 100. Inside a split, a transient failure marks only that part
 * for a retry, so outcomes already answered are kept.
 */
const splitOnRefusal = (
  inputs: ReadonlyArray<unknown>,
  send: (chunk: ReadonlyArray<never>) => Effect.Effect<ReadonlyArray<Outcome>, CrmError>,
  nested: boolean
): Effect.Effect<ReadonlyArray<Outcome>, CrmError> =>
  send(inputs as ReadonlyArray<never>).pipe(
    Effect.catch((error) => {
      if (error.isRetryable)
        return nested ? Effect.succeed(inputs.map((): Outcome => ({ _tag: "Rejected", retryable: true, message: error.message }))) : Effect.fail(error)
      // Refused outright with a single input: that record is refused, not the batch around it.
      if (inputs.length === 1) return Effect.succeed([{ _tag: "Rejected", retryable: false, message: error.message } satisfies Outcome])
      const half = Math.ceil(inputs.length / 2)
      return Effect.map(Effect.all([splitOnRefusal(inputs.slice(0, half), send, true), splitOnRefusal(inputs.slice(half), send, true)]), ([first, second]) => [
        ...first,
        ...second
      ])
    })
  )

const oneByOneOnRefusal = <I>(inputs: ReadonlyArray<I>, send: (chunk: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<Outcome>, CrmError>) =>
  splitOnRefusal(inputs, send as (chunk: ReadonlyArray<never>) => Effect.Effect<ReadonlyArray<Outcome>, CrmError>, false)

/** Inputs merged per key (later properties win), sent, and the outcomes handed back per key. */
const perKey = <K>(
  inputs: ReadonlyArray<{ readonly key: K; readonly properties: CrmProperties }>,
  send: (merged: ReadonlyArray<{ readonly key: K; readonly properties: CrmProperties }>) => Effect.Effect<ReadonlyArray<Outcome>, CrmError>
) => {
  const merged = new Map<K, Record<string, string | null>>()
  for (const input of inputs) merged.set(input.key, { ...merged.get(input.key), ...input.properties })
  const list = [...merged].map(([key, properties]) => ({ key, properties }))
  if (list.length === 0) return Effect.succeed(new Map<K, Outcome>())
  return Effect.map(oneByOneOnRefusal(list, send), (outcomes) => new Map(list.map((input, i) => [input.key, outcomes[i] ?? NO_OUTCOME] as const)))
}

/** Sets properties on known records, by CRM id. */
export const updateRecords = (type: CrmObjectType, inputs: ReadonlyArray<{ readonly id: string; readonly properties: CrmProperties }>) =>
  Effect.flatMap(Crm, (crm) =>
    perKey(
      inputs.map((i) => ({ key: i.id, properties: i.properties })),
      (chunk) =>
        crm.update(
          type,
          chunk.map((i) => ({ id: i.key as CrmIdOf[CrmObjectType], properties: i.properties }))
        )
    )
  )

/** Creates or updates records by the commerce id their type's unique property holds. */
export const upsertRecords = (type: CrmObjectType, inputs: ReadonlyArray<{ readonly commerceId: string; readonly properties: CrmProperties }>) =>
  Effect.flatMap(Crm, (crm) =>
    perKey(
      inputs.map((i) => ({ key: i.commerceId, properties: i.properties })),
      (chunk) =>
        crm.upsert(
          type,
          chunk.map((i) => ({ commerceId: i.key, properties: i.properties }))
        )
    )
  )
