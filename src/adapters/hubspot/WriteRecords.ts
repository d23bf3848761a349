// Batch writes: upsert by the unique property holding the commerce id (HubSpot's `idProperty`)
// and update by id (≤ 100 inputs a call, outcomes in input order), and default associations
// grouped by type pair.
import { Array as Arr, Effect } from "effect"
import { CrmError, type CrmIdOf, type CrmLink, CrmRejected, type UpdateInput, type UpsertInput } from "../../application/ports/Crm.ts"
import { commerceIdProperty, entityOf } from "../../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../../domain/CrmProperties.ts"
import { type BatchItemError, type Missing, outcomesInOrder } from "./BatchOutcomes.ts"
import { describeItemError } from "./ClassifyHubSpotError.ts"
import type { Call } from "./HubSpotClient.ts"
import { hubspotType } from "./HubSpotObjectTypes.ts"

export const WRITE_LIMIT = 100
/**
 * Chunks of one write sent at once. The lane's budget paces the calls; the chunks only need to
 * be in flight together so a large batch keeps the budget busy instead of waiting out each
 * call's latency in turn (19 calls/s at ~400 ms a call is ~8 calls in flight).
 */
export const WRITE_CONCURRENCY = 8
/** HubSpot takes up to 2 000 inputs per v4 association batch; 1 000 leaves headroom. */
export const ASSOCIATE_LIMIT = 1000

// HubSpot clears a property with "", not null.
const toWire = (properties: CrmProperties): Record<string, string> => Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v ?? ""]))

const errorsOf = (data: object): ReadonlyArray<BatchItemError> => ("errors" in data && Array.isArray(data.errors) ? data.errors : [])

/** One call per chunk of WRITE_LIMIT, WRITE_CONCURRENCY at once; the outcomes in input order. */
const eachChunk = <I, O, E>(inputs: ReadonlyArray<I>, send: (chunk: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<O>, E>) =>
  Effect.map(Effect.forEach(Arr.chunksOf(inputs, WRITE_LIMIT), send, { concurrency: WRITE_CONCURRENCY }), (outcomes) => outcomes.flat())

export const makeWrite = (call: Call) => {
  const upsert = Effect.fn("HubSpotCrm.upsert")(function* <T extends CrmObjectType>(type: T, inputs: ReadonlyArray<UpsertInput>) {
    const idProperty = commerceIdProperty[entityOf[type]]
    // Nothing said about the input (HubSpot's MISSING_RESULT case): asking again may work.
    const missing: Missing = { retryable: true, message: "HubSpot returned neither a result nor an error for this input" }
    return yield* eachChunk(inputs, (chunk) =>
      Effect.map(
        call("objects.upsert", "api", (c) =>
          c.crm.objects.batchApi.upsertWithHttpInfo(hubspotType[type], {
            // The id property is also sent as a property so the answer echoes it for matching.
            inputs: chunk.map((i) => ({ id: i.commerceId, idProperty, properties: toWire({ ...i.properties, [idProperty]: i.commerceId }) }))
          })
        ),
        (data) =>
          outcomesInOrder<CrmIdOf[T]>(
            chunk.map((i) => i.commerceId),
            data.results.map((r) => ({ key: r.properties[idProperty] ?? undefined, id: r.id, created: r._new })),
            errorsOf(data),
            missing
          )
      )
    )
  })

  const update = Effect.fn("HubSpotCrm.update")(function* <T extends CrmObjectType>(type: T, inputs: ReadonlyArray<UpdateInput<CrmIdOf[T]>>) {
    // HubSpot leaves an unknown id without a result: the record is gone, asking again will not help.
    const missing: Missing = { retryable: false, message: describeItemError("OBJECT_NOT_FOUND", `${type} does not exist`) }
    return yield* eachChunk(inputs, (chunk) =>
      Effect.map(
        call("objects.update", "api", (c) =>
          c.crm.objects.batchApi.updateWithHttpInfo(hubspotType[type], { inputs: chunk.map((i) => ({ id: i.id, properties: toWire(i.properties) })) })
        ),
        (data) =>
          outcomesInOrder<CrmIdOf[T]>(
            chunk.map((i) => i.id),
            data.results.map((r) => ({ key: r.id, id: r.id, created: false })),
            errorsOf(data),
            missing
          )
      )
    )
  })

  /**
   * Any per-item error fails the call: the port has no per-link outcome, and none is retryable.
   * Every pair of types' calls go side by side: an order's contact and company links cost one
   * round trip, not two (a link is idempotent, so calls already made when another fails do no harm).
   */
  const associate = Effect.fn("HubSpotCrm.associate")(function* (links: ReadonlyArray<CrmLink>) {
    const chunks = Object.values(Arr.groupBy(links, (l) => `${l.fromType}|${l.toType}`)).flatMap((group) => Arr.chunksOf(group, ASSOCIATE_LIMIT))
    yield* Effect.forEach(chunks, associateChunk, { concurrency: WRITE_CONCURRENCY, discard: true })
  })
  const associateChunk = Effect.fnUntraced(function* (chunk: Arr.NonEmptyReadonlyArray<CrmLink>) {
    const { fromType, toType } = chunk[0]
    const data = yield* call("associations.associate", "api", (c) =>
      c.crm.associations.v4.batchApi.createDefaultWithHttpInfo(hubspotType[fromType], hubspotType[toType], {
        inputs: chunk.map((l) => ({ _from: { id: l.fromId }, to: { id: l.toId } }))
      })
    )
    const [first] = errorsOf(data)
    if (first !== undefined) return yield* new CrmError({ reason: new CrmRejected({ status: 207, message: describeItemError(first.category, first.message) }) })
  })

  const archive = Effect.fn("HubSpotCrm.archive")(function* <T extends CrmObjectType>(type: T, ids: ReadonlyArray<CrmIdOf[T]>) {
    yield* eachChunk(ids, (chunk) =>
      Effect.as(
        call("objects.archive", "api", (c) => c.crm.objects.batchApi.archiveWithHttpInfo(hubspotType[type], { inputs: chunk.map((id) => ({ id })) })),
        []
      )
    )
  })

  return { upsert, update, associate, archive }
}
