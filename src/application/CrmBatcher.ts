// Turns the single writes of concurrent message handlers into HubSpot batch calls: requests that
// arrive within a short window are grouped per object type and sent as one batch (≤ 100 inputs a
// call, the adapter chunks), so prefetch N means up to N records per call instead of N calls.
import { Context, Duration, Effect, Exit, Layer, Request, RequestResolver } from "effect"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { Crm, type CrmError, type CrmIdOf, type ItemOutcome, type UpsertInput } from "./ports/Crm.ts"

class UpdateRecord extends Request.Class<{ readonly type: CrmObjectType; readonly id: string; readonly properties: CrmProperties }, ItemOutcome<string>, CrmError, never> {}
class UpsertRecord extends Request.Class<{ readonly type: CrmObjectType; readonly input: UpsertInput }, ItemOutcome<string>, CrmError, never> {}

/** Long enough to gather concurrent handlers, short against HubSpot's own latency. */
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

/**
 * HubSpot may refuse a whole batch for one bad input (a 400 on an invalid e-mail, a 409). Then
 * each input is sent alone, so only the bad one is refused and its neighbours are not parked.
 */
const oneByOneOnRefusal = <I>(inputs: ReadonlyArray<I>, send: (chunk: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<ItemOutcome<string>>, CrmError>) =>
  send(inputs).pipe(
    Effect.catch((error) =>
      error.isRetryable || inputs.length === 1
        ? Effect.fail(error)
        : Effect.forEach(inputs, (input) =>
            send([input]).pipe(
              Effect.map((outcomes): ItemOutcome<string> => outcomes[0] ?? { _tag: "Rejected", category: "NO_RESULT", message: "no outcome" }),
              Effect.catch((single) =>
                single.isRetryable ? Effect.fail(single) : Effect.succeed<ItemOutcome<string>>({ _tag: "Rejected", category: single.reason._tag, message: single.message })
              )
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
          for (const entry of entries) entry.completeUnsafe(Exit.succeed(byId.get(entry.request.id) ?? { _tag: "Rejected", category: "NO_RESULT", message: "no outcome" }))
        })
      }).pipe(RequestResolver.setDelay(WINDOW))

      const upserts = RequestResolver.makeGrouped<UpsertRecord, string>({
        key: (entry) => `${entry.request.type}|${entry.request.input.idProperty}`,
        resolver: Effect.fnUntraced(function* (entries) {
          const type = entries[0].request.type
          const groups = mergeByKey(entries, (e) => e.request.input.idValue, (e) => e.request.input.properties)
          const inputs = groups.map(([idValue, g]) => ({ idProperty: g.first.request.input.idProperty, idValue, properties: g.properties }))
          const outcomes = yield* oneByOneOnRefusal(inputs, (chunk) => crm.upsert(type, chunk))
          const byKey = new Map(groups.map(([idValue], i) => [idValue, outcomes[i]]))
          for (const entry of entries) entry.completeUnsafe(Exit.succeed(byKey.get(entry.request.input.idValue) ?? { _tag: "Rejected", category: "NO_RESULT", message: "no outcome" }))
        })
      }).pipe(RequestResolver.setDelay(WINDOW))

      return CrmBatcher.of({
        update: (type, id, properties) => Effect.request(new UpdateRecord({ type, id, properties }), updates),
        upsert: (type, input) => Effect.request(new UpsertRecord({ type, input }), upserts)
      })
    })
  )
}
