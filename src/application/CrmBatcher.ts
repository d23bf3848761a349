// Turns the single writes of concurrent message handlers into CRM batch calls: requests that
// arrive within a short window are grouped per object type and sent as one batch (≤ 100 inputs a
// call, the adapter chunks), so prefetch N means up to N records per call instead of N calls.
import { Context, Duration, Effect, Exit, Layer, Request, RequestResolver } from "effect"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { Crm, type CrmError, type CrmIdOf, type ItemOutcome, type UpsertInput } from "./ports/Crm.ts"

class UpdateRecord extends Request.Class<{ readonly type: CrmObjectType; readonly id: string; readonly properties: CrmProperties }, ItemOutcome<string>, CrmError, never> {}
class UpsertRecord extends Request.Class<{ readonly type: CrmObjectType; readonly input: UpsertInput }, ItemOutcome<string>, CrmError, never> {}

/** Long enough to gather concurrent handlers, short against the CRM's own latency. */
const WINDOW = Duration.millis(15)

/** Several requests for one record in a batch become one input (later properties win). */
const mergeByKey = <A>(entries: ReadonlyArray<A>, key: (a: A) => string, properties: (a: A) => CrmProperties) => {
  const merged = new Map<string, { first: A; properties: Record<string, string | null> }>()
  for (const entry of entries) {
    const found = merged.get(key(entry))
    if (found === undefined) merged.set(key(entry), { first: entry, properties: { ...properties(entry) } })
    else Object.assign(found.properties, properties(entry))
  }
  return [...merged.entries()]
}

/** An input the CRM answered nothing for: asking again may work. */
const NO_OUTCOME: ItemOutcome<string> = { _tag: "Rejected", retryable: true, message: "no outcome for this input" }

/**
 * A CRM may refuse a whole batch for one bad input (a 400 on an invalid e-mail, a 409). Then
 * each input is sent alone, so only the bad one is refused and its neighbours are not parked.
 */
const oneByOneOnRefusal = <I>(inputs: ReadonlyArray<I>, send: (chunk: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<ItemOutcome<string>>, CrmError>) =>
  send(inputs).pipe(
    Effect.catch((error) =>
      error.isRetryable || inputs.length === 1
        ? Effect.fail(error)
        : Effect.forEach(inputs, (input) =>
            send([input]).pipe(
              Effect.map((outcomes): ItemOutcome<string> => outcomes[0] ?? NO_OUTCOME),
              Effect.catch((single) => (single.isRetryable ? Effect.fail(single) : Effect.succeed<ItemOutcome<string>>({ _tag: "Rejected", retryable: false, message: single.message })))
            )
          )
    )
  )

export class CrmBatcher extends Context.Service<
  CrmBatcher,
  {
    readonly update: (type: CrmObjectType, id: string, properties: CrmProperties) => Effect.Effect<ItemOutcome<string>, CrmError>
    readonly upsert: (type: CrmObjectType, input: UpsertInput) => Effect.Effect<ItemOutcome<string>, CrmError>
  }
>()("crm-sync/application/CrmBatcher") {
  static readonly layer = Layer.effect(
    CrmBatcher,
    Effect.gen(function* () {
      const crm = yield* Crm

      const updates = RequestResolver.makeGrouped<UpdateRecord, CrmObjectType>({
        key: (entry) => entry.request.type,
        resolver: Effect.fnUntraced(function* (entries, type) {
          const groups = mergeByKey(entries, (e) => e.request.id, (e) => e.request.properties)
          const inputs = groups.map(([id, g]) => ({ id: id as CrmIdOf[typeof type], properties: g.properties }))
          const outcomes = yield* oneByOneOnRefusal(inputs, (chunk) => crm.update(type, chunk))
          const byId = new Map(groups.map(([id], i) => [id, outcomes[i]]))
          for (const entry of entries) entry.completeUnsafe(Exit.succeed(byId.get(entry.request.id) ?? NO_OUTCOME))
        })
      }).pipe(RequestResolver.setDelay(WINDOW))

      const upserts = RequestResolver.makeGrouped<UpsertRecord, CrmObjectType>({
        key: (entry) => entry.request.type,
        resolver: Effect.fnUntraced(function* (entries, type) {
          const groups = mergeByKey(entries, (e) => e.request.input.commerceId, (e) => e.request.input.properties)
          const inputs = groups.map(([commerceId, g]) => ({ commerceId, properties: g.properties }))
          const outcomes = yield* oneByOneOnRefusal(inputs, (chunk) => crm.upsert(type, chunk))
          const byKey = new Map(groups.map(([commerceId], i) => [commerceId, outcomes[i]]))
          for (const entry of entries) entry.completeUnsafe(Exit.succeed(byKey.get(entry.request.input.commerceId) ?? NO_OUTCOME))
        })
      }).pipe(RequestResolver.setDelay(WINDOW))

      return CrmBatcher.of({
        update: (type, id, properties) => Effect.request(new UpdateRecord({ type, id, properties }), updates),
        upsert: (type, input) => Effect.request(new UpsertRecord({ type, input }), upserts)
      })
    })
  )
}
