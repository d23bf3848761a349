// One page of a backfill job: the next ids from the source side, as the envelopes the live flows
// take (a CRM change per CRM record, an id-only shop event per shop record), and the cursor after
// them. Synthetic envelopes carry lane "backfill", so every call they cause spends that lane's
// budget, and the flows apply the same snapshots, links and echo rules as to live changes.
import { Effect, Option, Schema } from "effect"
import { type CommerceEntity, crmTypeOf } from "../domain/CorrespondenceTable.ts"
import type { CrmChange } from "../domain/CrmChange.ts"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { routingKeys } from "./CommerceMessages.ts"
import type { BackfillJob, JobDefinition } from "./ports/BackfillJobs.ts"
import { CommerceApi } from "./ports/CommerceApi.ts"
import { Crm } from "./ports/Crm.ts"
import { type RecordsRead, recordKey } from "./ReadCrmRecords.ts"
import { crmChangeRoutingKey } from "./RelayOutbox.ts"
import type { CrmRecord } from "./ShopUpserts.ts"
import type { Envelope } from "./Step.ts"

/** Which of the job's types the page is in, and that type's own cursor. */
const PageCursor = Schema.Struct({ type: Schema.Int, after: Schema.optionalKey(Schema.String) })
type PageCursor = typeof PageCursor.Type
const decodeCursor = Schema.decodeUnknownOption(Schema.fromJsonString(PageCursor))
const encodeCursor = (c: PageCursor) => JSON.stringify(c)

export interface SourcePage {
  readonly type: string
  readonly envelopes: ReadonlyArray<Envelope>
  /** CRM records the listing read whole (with associations): flow A takes them instead of reading them again. */
  readonly read?: RecordsRead
  /** Undefined after the last page of the last type. */
  readonly next: string | undefined
}

export const crmTypes: ReadonlyArray<CrmObjectType> = ["company", "contact", "order"]
export const commerceEntities: ReadonlyArray<CommerceEntity> = ["business", "user", "purchase"]

/** HubSpot ids compare as numbers, other ids as strings. */
const compareIds = (a: string, b: string) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0)
const inRange = (d: JobDefinition) => (id: string) =>
  (d.fromId === undefined || compareIds(id, d.fromId) >= 0) && (d.toId === undefined || compareIds(id, d.toId) <= 0)

const crmEnvelope = (jobId: string, type: CrmObjectType, id: string, occurredAt: number, page: number): Envelope => {
  const change: CrmChange = { key: `backfill:${jobId}:${type}:${id}`, objectType: type, objectId: id, kind: "propertyChange", occurredAt }
  return { id: `${jobId}:${page}:${type}:${id}`, type: crmChangeRoutingKey(change), payload: change, occurredAt, lane: "backfill", attempt: 1 }
}
const commerceEnvelope = (jobId: string, entity: CommerceEntity, id: string, now: number, page: number): Envelope => ({
  id: `${jobId}:${page}:${entity}:${id}`,
  type: routingKeys.commerceEvent(entity, "updated"),
  payload: { id, occurredAt: now },
  occurredAt: now,
  lane: "backfill",
  attempt: 1
})

/** The most ids one source call returns: a page of more is gathered from several calls. */
export const LIST_LIMIT = 100
/** The shop's id list answers up to 1 000 a call: a page of 500 is one call, not five in turn. */
export const SHOP_LIST_LIMIT = 1000

interface Listed {
  readonly envelopes: ReadonlyArray<Envelope>
  readonly next: string | undefined
}

/**
 * Lists source pages from `after` until `size` envelopes are gathered or the source ends: a job
 * page larger than one list call hands the flow one big batch (its reads still go 100 a call),
 * which spreads the page's fixed costs (store round trips, publish confirms) over more records.
 */
const gather = <E, R>(
  size: number,
  after: string | undefined,
  list: (after: string | undefined, limit: number) => Effect.Effect<Listed, E, R>,
  perCall: number = LIST_LIMIT
) =>
  Effect.gen(function* () {
    const envelopes: Array<Envelope> = []
    let next = after
    do {
      const listed = yield* list(next, Math.min(perCall, size - envelopes.length))
      envelopes.push(...listed.envelopes)
      next = listed.next
    } while (next !== undefined && envelopes.length < size)
    return { envelopes, next }
  })

// By modified window (the record's own time becomes the change's, so records already synced at
// that version are skipped by the flow's triage) or by id (from `fromId`, stopping past `toId`).
// Either way the CRM returns the records themselves, handed to the flow with the envelopes.
const crmPage = Effect.fnUntraced(function* (job: BackfillJob, type: CrmObjectType, after: string | undefined, page: number, now: number) {
  const crm = yield* Crm
  const d = job.definition
  const records: Array<CrmRecord> = []
  const envelopes: Array<Envelope> = []
  let next: string | undefined
  if (d.modifiedSince !== undefined || d.modifiedUntil !== undefined) {
    next = after
    do {
      const found = yield* crm.modifiedBetween(type, { from: d.modifiedSince ?? 0, to: d.modifiedUntil ?? now }, next)
      for (const r of found.records) {
        records.push({ type, record: r } as CrmRecord)
        envelopes.push(crmEnvelope(job.id, type, r.id, r.updatedAt, page))
      }
      next = found.next
    } while (next !== undefined && envelopes.length < d.pageSize)
  } else {
    const listed = yield* crm.list(type, { after: after ?? d.fromId, limit: d.pageSize, toId: d.toId })
    for (const r of listed.records.filter((r) => inRange(d)(r.id))) {
      records.push({ type, record: r } as CrmRecord)
      envelopes.push(crmEnvelope(job.id, type, r.id, now, page))
    }
    next = listed.next
  }
  const read: RecordsRead = { records: new Map(records.map((r) => [recordKey(r.type, r.record.id), r] as const)), readAt: now }
  return { envelopes, next, read }
})

const commercePage = Effect.fnUntraced(function* (job: BackfillJob, entity: CommerceEntity, after: string | undefined, page: number, now: number) {
  const d = job.definition
  const filter = {
    ...(d.fromId === undefined ? {} : { fromId: d.fromId }),
    ...(d.toId === undefined ? {} : { toId: d.toId }),
    ...(d.modifiedSince === undefined ? {} : { createdFrom: new Date(d.modifiedSince).toISOString() }),
    ...(d.modifiedUntil === undefined ? {} : { createdTo: new Date(d.modifiedUntil).toISOString() })
  }
  const api = yield* CommerceApi
  return yield* gather(
    d.pageSize,
    after,
    (cursor, limit) =>
      Effect.map(api.listIds(entity, filter, cursor, limit), (listed) => ({
        envelopes: listed.ids.map((id) => commerceEnvelope(job.id, entity, id, now, page)),
        next: listed.next
      })),
    SHOP_LIST_LIMIT
  )
})

/** The page at `cursor` (undefined: the job's first page). A bad cursor restarts its type. */
export const sourcePage = Effect.fnUntraced(function* (job: BackfillJob, cursor: string | undefined, page: number, now: number) {
  const at = Option.getOrElse(cursor === undefined ? Option.none() : decodeCursor(cursor), (): PageCursor => ({ type: 0 }))
  const type = job.definition.types[at.type]
  if (type === undefined) return { type: "", envelopes: [], next: undefined } satisfies SourcePage
  const found =
    job.definition.direction === "crm-to-commerce"
      ? yield* crmPage(job, type as CrmObjectType, at.after, page, now)
      : yield* commercePage(job, type as CommerceEntity, at.after, page, now)
  const next =
    found.next !== undefined
      ? encodeCursor({ type: at.type, after: found.next })
      : at.type + 1 < job.definition.types.length
        ? encodeCursor({ type: at.type + 1 })
        : undefined
  const read = "read" in found ? (found.read as RecordsRead) : undefined
  return { type, envelopes: found.envelopes, next, ...(read === undefined ? {} : { read }) } satisfies SourcePage
})

/** The job's types for a CLI `--type`: CRM types, or the shop entities that mirror them. */
export const typesFor = (direction: JobDefinition["direction"], type: CrmObjectType | "all"): ReadonlyArray<string> => {
  const crm = type === "all" ? crmTypes : [type]
  return direction === "crm-to-commerce" ? crm : commerceEntities.filter((e) => crm.includes(crmTypeOf[e]))
}
