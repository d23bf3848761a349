// Flow C: a commerce event → the entity (from the event, or the platform's REST API) → validate →
// upsert into HubSpot on the unique commerce-id property → associations → HubSpot id back.
import { Effect, Option, Predicate, Result, Schema } from "effect"
import { associationRows, type CommerceEntity, commerceIdProperty, crmTypeOf } from "../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../domain/CrmProperties.ts"
import { propertiesForCrm } from "../domain/FieldMerge.ts"
import { getPath } from "../domain/Mapping.ts"
import { validate } from "../domain/Validation.ts"
import { CommerceEvent, type IdsAssigned, routingKeys } from "./CommerceMessages.ts"
import { CrmBatcher } from "./CrmBatcher.ts"
import { ObjectLocks } from "./ObjectLocks.ts"
import { snapshotProperties } from "./CrmRecordMessages.ts"
import { ARCHIVED, isOwnCommerceWrite, recordCrmWrites } from "./EchoLedger.ts"
import { crmIdOf, linkIds } from "./LinkLookups.ts"
import { CommerceApi } from "./ports/CommerceApi.ts"
import { Crm, type CrmIdOf, type CrmLink, type CrmRecordOf } from "./ports/Crm.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { type CrmSnapshot, Snapshots } from "./ports/Snapshots.ts"
import type { Envelope } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"

const decodeEvent = Schema.decodeUnknownEffect(CommerceEvent)
const permanent = (reason: string) => new StepFailure({ retryable: false, reason })

/** HubSpot answered nothing for the input (no result, no error): ask again rather than park. */
const UNANSWERED = new Set(["MISSING_RESULT", "NO_RESULT"])
const refused = (entity: CommerceEntity, id: string, outcome: { readonly category: string; readonly message: string }) =>
  new StepFailure({ retryable: UNANSWERED.has(outcome.category), reason: `HubSpot refused ${entity} ${id}: ${outcome.category} ${outcome.message}` })

/** "commerce.user_created" → ["user", "created"]. */
export const parseEventType = (type: string): readonly [CommerceEntity, string] | undefined => {
  const match = /^commerce\.(user|business|purchase)_(created|updated|deleted)$/.exec(type)
  return match === null ? undefined : [match[1] as CommerceEntity, match[2] as string]
}

const loadRecord = Effect.fn("loadRecord")(function* (entity: CommerceEntity, event: CommerceEvent) {
  if (event.payload !== undefined) return Option.some(event.payload)
  return yield* (yield* CommerceApi).fetch(entity, event.id)
})

interface LinkTarget {
  readonly toType: CrmObjectType
  readonly toId: string
}

/**
 * The HubSpot records the entity links to, resolved before anything is written, so a retry does
 * not repeat a write. One HubSpot does not know yet is a wait, not an error: it syncs on its own.
 */
const linkTargets = Effect.fn("linkTargets")(function* (entity: CommerceEntity, record: Readonly<Record<string, unknown>>) {
  const targets: Array<LinkTarget> = []
  for (const row of associationRows.filter((r) => r.entity === entity)) {
    const target = getPath(record, row.commerceField)
    if (typeof target !== "string") continue
    const targetCrmId = yield* crmIdOf(row.to, target)
    if (Option.isNone(targetCrmId)) return yield* new StepFailure({ retryable: true, reason: `${row.to} ${target} is not in HubSpot yet` })
    targets.push({ toType: crmTypeOf[row.to], toId: targetCrmId.value })
  }
  return targets
})

const carriedCrmId = (record: Readonly<Record<string, unknown>>): Option.Option<string> =>
  typeof record["crmId"] === "string" ? Option.some(record["crmId"]) : Option.none()

/** The HubSpot record this commerce entity mirrors, read now, if we know of one. */
const currentRecord = (entity: CommerceEntity, known: Option.Option<string>) =>
  Option.match(known, {
    onNone: () => Effect.succeed(Option.none<CrmRecordOf[CrmObjectType]>()),
    onSome: (crmId) =>
      Effect.flatMap(Crm, (crm) => crm.read(crmTypeOf[entity], [crmId as CrmIdOf[CrmObjectType]])).pipe(
        Effect.map((records): Option.Option<CrmRecordOf[CrmObjectType]> => Option.fromUndefinedOr(records[0]))
      )
  })

const linkedIds = (current: Option.Option<CrmRecordOf[CrmObjectType]>): ReadonlySet<string> =>
  new Set(Option.match(current, { onNone: () => [], onSome: (r) => [...("companyIds" in r ? r.companyIds : []), ...("contactIds" in r ? r.contactIds : [])] }))

/**
 * After our write, both sides agree on what we wrote, and on nothing new otherwise: the base keeps
 * its version and its other values. Recording HubSpot's whole current record here would claim
 * that edits the shop has not received were synced, and flow A would then skip them.
 */
const rememberWrite = (type: CrmObjectType, base: CrmSnapshot | undefined, crmId: string, written: CrmProperties) =>
  Snapshots.use((snapshots) => {
    const before = Predicate.isObject(base?.record) ? (base.record as Record<string, unknown>) : { companyIds: [], contactIds: [] }
    const record = { ...before, id: crmId, properties: { ...snapshotProperties(base?.record), ...written } }
    return snapshots.saveCrm([{ type, id: crmId, version: base?.version ?? 0, record } as CrmSnapshot])
  })

const writeIntoCrm = Effect.fn("writeIntoCrm")(function* (entity: CommerceEntity, id: string, record: Readonly<Record<string, unknown>>, known: Option.Option<string>) {
  const type = crmTypeOf[entity]
  const batcher = yield* CrmBatcher
  const current = yield* currentRecord(entity, known)
  const base = Option.isSome(current) ? (yield* Snapshots.use((s) => s.getCrm([{ type, id: current.value.id }])))[0] : undefined
  const properties = propertiesForCrm(entity, record, Option.getOrUndefined(current)?.properties, snapshotProperties(base?.record))
  if (Option.isSome(current)) {
    const crmId = current.value.id
    if (Object.keys(properties).length === 0) return { crmId, created: false, current }
    yield* recordCrmWrites(type, crmId, properties)
    // A known record is updated by its HubSpot id: its commerce-id property may not be written yet.
    const outcome = yield* batcher.update(type, crmId, properties)
    if (outcome._tag !== "Applied") return yield* refused(entity, id, outcome)
    yield* rememberWrite(type, base, crmId, properties)
    return { crmId, created: false, current }
  }
  const outcome = yield* batcher.upsert(type, { idProperty: commerceIdProperty[entity], idValue: id, properties })
  if (outcome._tag !== "Applied") return yield* refused(entity, id, outcome)
  yield* recordCrmWrites(type, outcome.id, properties)
  yield* rememberWrite(type, base, outcome.id, properties)
  return { crmId: outcome.id as string, created: outcome.created, current }
})

/** A deletion on the shop archives the HubSpot record; the webhook it causes is our own echo. */
const archiveInCrm = Effect.fn("archiveInCrm")(function* (entity: CommerceEntity, id: string, deletedAt: number) {
  const crmId = yield* crmIdOf(entity, id)
  if (Option.isSome(crmId)) {
    yield* recordCrmWrites(crmTypeOf[entity], crmId.value, ARCHIVED)
    yield* (yield* Crm).archive(crmTypeOf[entity], [crmId.value as CrmIdOf[CrmObjectType]])
  }
  // A tombstone: a late or redelivered event from before the deletion must not bring it back.
  yield* Snapshots.use((s) => s.saveCommerce([{ entity, id, version: deletedAt, record: null }]))
})

/** Writes a validated, newer record into HubSpot with its links; tells the shop new HubSpot ids. */
const applyRecord = Effect.fn("applyRecord")(function* (entity: CommerceEntity, id: string, record: Readonly<Record<string, unknown>>, known: Option.Option<string>, lane: Envelope["lane"]) {
  const targets = yield* linkTargets(entity, record)
  const { crmId, created, current } = yield* writeIntoCrm(entity, id, record, known)
  yield* linkIds(entity, crmId, id)
  const existing = linkedIds(current)
  const links: Array<CrmLink> = targets
    .filter((t) => !existing.has(t.toId))
    .map((t) => ({ fromType: crmTypeOf[entity], fromId: crmId, toType: t.toType, toId: t.toId }))
  if (links.length > 0) yield* (yield* Crm).associate(links)
  if (created || record["crmId"] !== crmId) {
    const ids: IdsAssigned = { entity, crmId, commerceId: id }
    yield* (yield* MessageBus).publish([{ id: `${entity}:${id}:crm`, type: routingKeys.crmIds, payload: ids, occurredAt: Date.parse(String(record["updatedAt"])), lane }])
  }
})

const handleEvent = Effect.fn("handleEvent")(function* (entity: CommerceEntity, action: string, event: CommerceEvent, lane: Envelope["lane"]) {
  if (action === "deleted") return yield* archiveInCrm(entity, event.id, event.occurredAt)
  const loaded = yield* loadRecord(entity, event)
  // The platform's API may lag behind its own event: wait (retry tiers), then park with a reason.
  if (Option.isNone(loaded)) return yield* new StepFailure({ retryable: true, reason: `${entity} ${event.id} is not served by the commerce API (yet)` })
  const valid = validate(entity, loaded.value)
  if (Result.isFailure(valid)) return yield* permanent(valid.failure.message)
  const record = loaded.value
  const version = Date.parse(String(record["updatedAt"]))
  const snapshots = yield* Snapshots
  const [seen] = yield* snapshots.getCommerce([{ entity, id: event.id }])
  if (seen !== undefined && seen.version >= version) return
  const known = Option.orElse(yield* crmIdOf(entity, event.id), () => carriedCrmId(record))
  // The shop announcing what we just sent it: nothing to write, not even a HubSpot read.
  const echo = Option.isSome(known) && (yield* isOwnCommerceWrite(entity, known.value, record))
  if (echo) yield* linkIds(entity, known.value, event.id)
  else yield* applyRecord(entity, event.id, record, known, lane)
  yield* snapshots.saveCommerce([{ entity, id: event.id, version, record }])
})

/** The step handler, one shop entity at a time. */
export const syncCommerceEntity = Effect.fn("syncCommerceEntity")(
  function* (envelope: Envelope) {
    const parsed = parseEventType(envelope.type)
    if (parsed === undefined) return yield* permanent(`unknown commerce event type ${envelope.type}`)
    const [entity, action] = parsed
    const event = yield* decodeEvent(envelope.payload).pipe(Effect.mapError((e) => permanent(`not a commerce event: ${e.message}`)))
    const locks = yield* ObjectLocks
    yield* locks.withLock(`${entity}:${event.id}`)(handleEvent(entity, action, event, envelope.lane))
  },
  Effect.mapError(toStepFailure)
)
