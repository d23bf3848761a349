// Flow A: a CRM change → read the current record and its neighbours → publish to the commerce
// platform → remember the version. Reading current state (not replaying each event) is what
// coalesces a burst of events into one sync and lets the newest state win.
import { Effect, Option, Predicate, Result, Schema } from "effect"
import { CrmChange } from "../domain/CrmChange.ts"
import type { CrmProperties } from "../domain/CrmProperties.ts"
import { associationRows, entityOf } from "../domain/CorrespondenceTable.ts"
import type { CompanyId, ContactId, OrderId } from "../domain/Ids.ts"
import { freshness } from "../domain/ConflictRules.ts"
import { sharedProperties } from "../domain/Mapping.ts"
import { type EntityDelete, type EntityMerge, type EntityUpsert, routingKeys } from "./CommerceMessages.ts"
import { type CrmRecord, snapshotProperties, toUpsert } from "./CrmRecordMessages.ts"
import { ARCHIVED, isOwnCrmWrite, recordCommerceWrites } from "./EchoLedger.ts"
import { ObjectLocks } from "./ObjectLocks.ts"
import { Crm } from "./ports/Crm.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { commerceIdOf, commerceIdsOf } from "./LinkLookups.ts"
import { IdLinks } from "./ports/IdLinks.ts"
import { type CrmSnapshot, Snapshots } from "./ports/Snapshots.ts"
import type { Envelope, OutgoingMessage } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"

const decodeChange = Schema.decodeUnknownEffect(CrmChange)

const message = (type: string, id: string, payload: unknown, occurredAt: number, lane: Envelope["lane"]): OutgoingMessage => ({ id, type, payload, occurredAt, lane })

/**
 * The record with what the platform needs alongside it, parents first so the platform can
 * resolve links: a company brings its contacts; a contact its company; an order both.
 */
const readAround = Effect.fn("readAround")(function* (change: CrmChange) {
  const crm = yield* Crm
  const companies = (ids: ReadonlyArray<CompanyId>) => Effect.map(crm.read("company", ids.slice(0, 1)), (rs) => rs.map((record): CrmRecord => ({ type: "company", record })))
  const contacts = (ids: ReadonlyArray<ContactId>) => Effect.map(crm.read("contact", ids), (rs) => rs.map((record): CrmRecord => ({ type: "contact", record })))
  if (change.objectType === "company") {
    const [company] = yield* crm.read("company", [change.objectId as CompanyId])
    return company === undefined ? [] : [{ type: "company", record: company } as CrmRecord, ...(yield* contacts(company.contactIds))]
  }
  if (change.objectType === "contact") {
    const [contact] = yield* crm.read("contact", [change.objectId as ContactId])
    return contact === undefined ? [] : [...(yield* companies(contact.companyIds)), { type: "contact", record: contact } as CrmRecord]
  }
  const [order] = yield* crm.read("order", [change.objectId as OrderId])
  if (order === undefined) return []
  return [...(yield* companies(order.companyIds)), ...(yield* contacts(order.contactIds.slice(0, 1))), { type: "order", record: order } as CrmRecord]
})

/** Associations travel as links; a change of them is news even when the version is not. */
const associationsOf = (data: unknown): string => {
  const record = Predicate.isObject(data) ? (data as Record<string, unknown>) : {}
  const ids = (key: string) => (Array.isArray(record[key]) ? [...(record[key] as Array<string>)].sort() : [])
  return JSON.stringify([ids("companyIds"), ids("contactIds")])
}

const NO_LINKS = associationsOf({})

/** Records whose version we have not published yet and whose values are not our own echo, each with its base. */
const unpublished = Effect.fn("unpublished")(function* (items: ReadonlyArray<CrmRecord>) {
  const snapshots = yield* Snapshots.use((s) => s.getCrm(items.map((item) => ({ type: item.type, id: item.record.id }))))
  const fresh: Array<{ readonly item: CrmRecord; readonly base: CrmProperties | undefined; readonly linksAreNews: boolean }> = []
  for (const item of items) {
    const stored = snapshots.find((s) => s.type === item.type && s.id === item.record.id)
    const verdict = freshness(item.record.updatedAt, stored?.version)
    const sameLinks = stored !== undefined && associationsOf(stored.record) === associationsOf(item.record)
    if (verdict === "older" || (verdict === "same" && sameLinks)) continue
    // Values we wrote ourselves are an echo, unless the links changed: those still travel.
    const linksAreNews = stored === undefined ? associationsOf(item.record) !== NO_LINKS : !sameLinks
    if (!linksAreNews && (yield* isOwnCrmWrite(item.type, item.record.id, sharedProperties(entityOf[item.type], item.record.properties)))) continue
    fresh.push({ item, base: snapshotProperties(stored?.record), linksAreNews })
  }
  return fresh
})

/** A known record whose fields and links did not change for the shop carries nothing to send. */
const isEmptyPatch = (upsert: EntityUpsert, base: CrmProperties | undefined, linksAreNews: boolean) =>
  base !== undefined && upsert.commerceId !== undefined && !linksAreNews && Object.keys(upsert.fields).every((field) => field === "crmId")

/** The upsert's links as the shop will hold them (its own ids), where we know those ids. */
const linkFieldsInShopIds = Effect.fn("linkFieldsInShopIds")(function* (upsert: EntityUpsert) {
  const wanted = Object.entries(upsert.links).flatMap(([field, crmId]) => {
    const row = associationRows.find((r) => r.entity === upsert.entity && r.commerceField === field)
    return row === undefined ? [] : [{ field, entity: row.to, crmId }]
  })
  if (wanted.length === 0) return {}
  const links = yield* IdLinks.use((l) => l.find({ crmIds: wanted.map((w) => ({ entity: w.entity, id: w.crmId })) }))
  const fields: Record<string, string> = {}
  for (const w of wanted) {
    const shopId = links.find((l) => l.entity === w.entity && l.crmId === w.crmId)?.commerceId
    if (shopId !== undefined) fields[w.field] = shopId
  }
  return fields
})

const publishCurrent = Effect.fn("publishCurrent")(function* (change: CrmChange, lane: Envelope["lane"]) {
  const items = yield* unpublished(yield* readAround(change))
  const results = yield* Effect.forEach(items, ({ item, base, linksAreNews }) => Effect.map(toUpsert(item, base), (result) => ({ item, base, linksAreNews, result })))
  const valid = results.flatMap(({ item, base, linksAreNews, result }) => (Result.isSuccess(result) ? [{ item, upsert: result.success, empty: isEmptyPatch(result.success, base, linksAreNews) }] : []))
  const invalid = results.flatMap(({ result }) => (Result.isFailure(result) ? [result.failure.message] : []))
  const toSend = valid.filter((v) => !v.empty)
  // Recorded before publishing: the shop may announce what it got before the confirm is back.
  for (const { upsert } of toSend) yield* recordCommerceWrites(upsert.entity, upsert.crmId, { ...upsert.fields, ...(yield* linkFieldsInShopIds(upsert)) })
  if (toSend.length > 0) {
    yield* (yield* MessageBus).publish(toSend.map(({ upsert }) => message(routingKeys.upsert(upsert.entity), `${upsert.entity}:${upsert.crmId}:${upsert.version}`, upsert, upsert.version, lane)))
  }
  // Only after the platform has the version do we remember it, so a failed publish is retried.
  const versions = valid.map(({ item }) => ({ type: item.type, id: item.record.id, version: item.record.updatedAt, record: item.record }) as CrmSnapshot)
  if (versions.length > 0) yield* Snapshots.use((s) => s.saveCrm(versions))
  if (invalid.length > 0) return yield* new StepFailure({ retryable: false, reason: invalid.join(" | ") })
})

const publishDeletion = Effect.fn("publishDeletion")(function* (change: CrmChange, lane: Envelope["lane"]) {
  if (yield* isOwnCrmWrite(change.objectType, change.objectId, ARCHIVED)) return
  const entity = entityOf[change.objectType]
  const commerceId = yield* commerceIdOf(entity, change.objectId)
  const payload: EntityDelete = { entity, crmId: change.objectId, version: change.occurredAt, ...(Option.isSome(commerceId) ? { commerceId: commerceId.value } : {}) }
  yield* (yield* MessageBus).publish([message(routingKeys.delete(entity), change.key, payload, change.occurredAt, lane)])
})

const publishMerge = Effect.fn("publishMerge")(function* (change: CrmChange, lane: Envelope["lane"]) {
  const entity = entityOf[change.objectType]
  const survivor = change.primaryObjectId ?? change.objectId
  const merged = (change.mergedObjectIds ?? []).filter((id) => id !== survivor)
  // Every id is read before the links move, so a retried publish says exactly the same thing.
  const linked = yield* commerceIdsOf(entity, [survivor, ...merged])
  const survivorCommerceId = Option.fromUndefinedOr(linked.get(survivor))
  const mergedCommerceIds = merged
    .flatMap((id) => Option.toArray(Option.fromUndefinedOr(linked.get(id))))
    .filter((id) => Option.getOrUndefined(survivorCommerceId) !== id)
  const payload: EntityMerge = {
    entity,
    survivorCrmId: survivor,
    mergedCrmIds: merged,
    mergedCommerceIds,
    version: change.occurredAt,
    ...(Option.isSome(survivorCommerceId) ? { survivorCommerceId: survivorCommerceId.value } : {})
  }
  yield* (yield* MessageBus).publish([message(routingKeys.merge(entity), change.key, payload, change.occurredAt, lane)])
  yield* IdLinks.use((l) => l.repoint(entity, merged, survivor))
  yield* publishCurrent({ ...change, objectId: survivor, kind: "propertyChange" }, lane)
})

const isEchoEvent = (change: CrmChange) =>
  change.kind === "propertyChange" && change.propertyName !== undefined && change.propertyValue !== undefined
    ? isOwnCrmWrite(change.objectType, change.objectId, { [change.propertyName]: change.propertyValue })
    : Effect.succeed(false)

const handleChange = Effect.fn("handleChange")(function* (change: CrmChange, lane: Envelope["lane"]) {
  if (yield* isEchoEvent(change)) return
  if (change.kind === "deletion" || change.kind === "privacyDeletion") return yield* publishDeletion(change, lane)
  if (change.kind === "merge") return yield* publishMerge(change, lane)
  const [stored] = yield* Snapshots.use((s) => s.getCrm([{ type: change.objectType, id: change.objectId }]))
  // Coalescing: a read made after this event already carried its effect to the platform.
  if (stored !== undefined && stored.version >= change.occurredAt && change.kind !== "associationChange") return
  yield* publishCurrent(change, lane)
})

/** The step handler, one object at a time. Port failures keep their retryability; a bad payload is parked. */
export const syncCrmObject = Effect.fn("syncCrmObject")(
  function* (envelope: Envelope) {
    const change = yield* decodeChange(envelope.payload).pipe(Effect.mapError((e) => new StepFailure({ retryable: false, reason: `not a CRM change: ${e.message}` })))
    const locks = yield* ObjectLocks
    yield* locks.withLock(`${change.objectType}:${change.primaryObjectId ?? change.objectId}`)(handleChange(change, envelope.lane))
  },
  Effect.mapError(toStepFailure)
)
