// Flow C: a commerce event → the entity (from the event, or the platform's REST API) → validate →
// upsert into HubSpot on the unique commerce-id property → associations → HubSpot id back.
import { Effect, Option, Result, Schema } from "effect"
import { associationRows, type CommerceEntity, commerceIdProperty, crmTypeOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { getPath } from "../domain/Mapping.ts"
import { validate } from "../domain/Validation.ts"
import { CommerceEvent, type IdsAssigned, routingKeys } from "./CommerceMessages.ts"
import { propertiesToWrite } from "./CommerceEntityWrite.ts"
import { ARCHIVED, recordCrmWrites } from "./EchoLedger.ts"
import { CommerceApi } from "./ports/CommerceApi.ts"
import { Crm, type CrmIdOf, type CrmLink } from "./ports/Crm.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { SyncStore } from "./ports/SyncStore.ts"
import type { Envelope } from "./Step.ts"
import { fromError, StepFailure } from "./StepFailure.ts"

const decodeEvent = Schema.decodeUnknownEffect(CommerceEvent)
const permanent = (reason: string) => new StepFailure({ retryable: false, reason })

/** "commerce.user_created" → ["user", "created"]. */
export const parseEventType = (type: string): readonly [CommerceEntity, string] | undefined => {
  const match = /^commerce\.(user|business|purchase)_(created|updated|deleted)$/.exec(type)
  return match === null ? undefined : [match[1] as CommerceEntity, match[2] as string]
}

const loadRecord = Effect.fn("loadRecord")(function* (entity: CommerceEntity, event: CommerceEvent) {
  if (event.payload !== undefined) return Option.some(event.payload)
  return yield* (yield* CommerceApi).fetch(entity, event.id)
})

/** Links to entities HubSpot does not know yet are a wait, not an error: they sync on their own. */
const associationsOf = Effect.fn("associationsOf")(function* (entity: CommerceEntity, record: Readonly<Record<string, unknown>>, crmId: string) {
  const store = yield* SyncStore
  const links: Array<CrmLink> = []
  for (const row of associationRows.filter((r) => r.entity === entity)) {
    const target = getPath(record, row.commerceField)
    if (typeof target !== "string") continue
    const targetCrmId = yield* store.crmIdOf(row.to, target)
    if (Option.isNone(targetCrmId)) return yield* new StepFailure({ retryable: true, reason: `${row.to} ${target} is not in HubSpot yet` })
    links.push({ fromType: crmTypeOf[entity], fromId: crmId, toType: crmTypeOf[row.to], toId: targetCrmId.value })
  }
  return links
})

const upsertIntoCrm = Effect.fn("upsertIntoCrm")(function* (entity: CommerceEntity, id: string, record: Readonly<Record<string, unknown>>, version: number) {
  const store = yield* SyncStore
  const type = crmTypeOf[entity]
  const known = yield* store.crmIdOf(entity, id)
  const snapshot = Option.isSome(known) ? yield* store.getSnapshot(type, known.value) : Option.none()
  const properties = propertiesToWrite(entity, record, version, snapshot)
  if (Option.isSome(known) && Object.keys(properties).length <= 1) return { crmId: known.value, created: false, wrote: false }
  if (Option.isSome(known)) yield* recordCrmWrites(type, known.value, properties)
  const [outcome] = yield* (yield* Crm).upsert(type, [{ idProperty: commerceIdProperty[entity], idValue: id, properties }])
  if (outcome === undefined || outcome._tag === "Rejected") {
    return yield* permanent(`HubSpot refused ${entity} ${id}: ${outcome?.category ?? "NO_RESULT"} ${outcome?.message ?? ""}`)
  }
  if (Option.isNone(known)) yield* recordCrmWrites(type, outcome.id, properties)
  return { crmId: outcome.id, created: Option.isNone(known), wrote: true }
})

/** A deletion on the shop archives the HubSpot record; the webhook it causes is our own echo. */
const archiveInCrm = Effect.fn("archiveInCrm")(function* (entity: CommerceEntity, id: string) {
  const crmId = yield* (yield* SyncStore).crmIdOf(entity, id)
  if (Option.isNone(crmId)) return
  yield* recordCrmWrites(crmTypeOf[entity], crmId.value, ARCHIVED)
  yield* (yield* Crm).archive(crmTypeOf[entity], [crmId.value as CrmIdOf[CrmObjectType]])
})

export const syncCommerceEntity = Effect.fn("syncCommerceEntity")(
  function* (envelope: Envelope) {
    const parsed = parseEventType(envelope.type)
    if (parsed === undefined) return yield* permanent(`unknown commerce event type ${envelope.type}`)
    const [entity, action] = parsed
    const event = yield* decodeEvent(envelope.payload).pipe(Effect.mapError((e) => permanent(`not a commerce event: ${e.message}`)))
    if (action === "deleted") return yield* archiveInCrm(entity, event.id)
    const loaded = yield* loadRecord(entity, event)
    if (Option.isNone(loaded)) return
    const valid = validate(entity, loaded.value)
    if (Result.isFailure(valid)) return yield* permanent(valid.failure.message)
    const record = loaded.value
    const version = Date.parse(String(record["updatedAt"]))
    const store = yield* SyncStore
    const seen = yield* store.getSnapshot(entity, event.id)
    if (Option.isSome(seen) && seen.value.version >= version) return
    const { crmId, created } = yield* upsertIntoCrm(entity, event.id, record, version)
    yield* store.link(entity, crmId, event.id)
    const links = yield* associationsOf(entity, record, crmId)
    if (links.length > 0) yield* (yield* Crm).associate(links)
    if (created || record["crmId"] !== crmId) {
      const ids: IdsAssigned = { entity, crmId, commerceId: event.id }
      yield* (yield* MessageBus).publish([{ id: `${entity}:${event.id}:crm`, type: routingKeys.crmIds, payload: ids, occurredAt: version, lane: envelope.lane }])
    }
    yield* store.saveSnapshot({ type: entity, id: event.id, version, data: record })
  },
  Effect.mapError((error) => (error instanceof StepFailure ? error : fromError(error)))
)
