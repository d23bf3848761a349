// Flow C, first decision for a batch of shop events: each message is loaded and validated
// alone, then the events of one object become one effect.
import { Result } from "effect"
import type { CommerceEntity } from "../domain/CorrespondenceTable.ts"
import { validate } from "../domain/Validation.ts"
import type { CommerceEvent } from "./CommerceMessages.ts"
import type { LaneName } from "./Lane.ts"
import type { UnvalidatedRecord } from "./ports/CommerceApi.ts"
export type Action = "created" | "updated" | "deleted"
export interface EventInput {
  readonly index: number
  readonly entity: CommerceEntity
  readonly action: Action
  readonly event: CommerceEvent
  readonly lane: LaneName
}
/** Why one message failed: retryable ones wait in the retry tiers, the rest are parked. */
export interface Failed {
  readonly retryable: boolean
  readonly reason: string
}

/** Key-order-independent equality of two records. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value !== null && typeof value === "object"
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => [k, canonical(v)])
        )
      : value
export const sameContent = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))

/** An object of the batch, e.g. "user:u-1". */
export const entityKey = (kind: string, id: string) => `${kind}:${id}`

/** "commerce.user_created" → ["user", "created"]. */
export const parseEventType = (type: string): readonly [CommerceEntity, Action] | undefined => {
  const match = /^commerce\.(user|business|purchase)_(created|updated|deleted)$/.exec(type)
  return match === null ? undefined : [match[1] as CommerceEntity, match[2] as Action]
}

/** Round 1: events that carry only an id are looked up on the platform, per entity. */
export const idsToFetch = (inputs: ReadonlyArray<EventInput>): ReadonlyMap<CommerceEntity, ReadonlyArray<string>> => {
  const out = new Map<CommerceEntity, Set<string>>()
  for (const i of inputs) if (i.action !== "deleted" && i.event.payload === undefined) out.set(i.entity, (out.get(i.entity) ?? new Set()).add(i.event.id))
  return new Map([...out].map(([entity, ids]) => [entity, [...ids]]))
}

export interface Update {
  readonly index: number
  readonly entity: CommerceEntity
  readonly id: string
  readonly record: UnvalidatedRecord
  readonly version: number
  readonly lane: LaneName
}
export interface Deletion {
  readonly entity: CommerceEntity
  readonly id: string
  readonly deletedAt: number
}
export interface Coalesced {
  /** One per object: its newest valid version. */
  readonly updates: ReadonlyArray<Update>
  readonly deletions: ReadonlyArray<Deletion>
  readonly failed: ReadonlyMap<number, Failed>
  /** Events whose entity the platform did not serve (their `failed` entry says wait). */
  readonly missing: ReadonlyArray<{ readonly index: number; readonly entity: CommerceEntity; readonly id: string }>
}

/**
 * Issue 9 #15: an entity the platform no longer serves (404) that we synced before, or whose
 * deletion we hold a tombstone of, is gone, not late: its event is done (the deletion event
 * archives it), instead of waiting ~41 minutes in the retry tiers and then being parked. An
 * entity we never saw may be the platform's API lagging behind its own event: that still waits.
 */
export const goneAreDone = (c: Coalesced, known: ReadonlySet<string>): ReadonlyMap<number, Failed> => {
  const gone = new Set(c.missing.filter((m) => known.has(entityKey(m.entity, m.id))).map((m) => m.index))
  return new Map([...c.failed].filter(([index]) => !gone.has(index)))
}

/**
 * Each message is loaded and validated alone (a bad one fails alone); then the events of one
 * object become one effect. Older versions are carried by the newest; a version older than a
 * deletion in the batch is buried by its tombstone; a newer one waits for the next delivery,
 * after the deletion is done, as it would have had it arrived later.
 */
export const coalesce = (inputs: ReadonlyArray<EventInput>, fetched: ReadonlyMap<string, UnvalidatedRecord>): Coalesced => {
  const failed = new Map<number, Failed>()
  const missing: Array<Coalesced["missing"][number]> = []
  const newest = new Map<string, Update>()
  const deletions = new Map<string, Deletion>()
  for (const { index, entity, action, event, lane } of inputs) {
    const object = entityKey(entity, event.id)
    if (action === "deleted") {
      const before = deletions.get(object)
      deletions.set(object, { entity, id: event.id, deletedAt: Math.max(before?.deletedAt ?? Number.NEGATIVE_INFINITY, event.occurredAt) })
      continue
    }
    const record = event.payload ?? fetched.get(object)
    // The platform's API may lag behind its own event: wait (retry tiers), then park with a reason.
    if (record === undefined) {
      failed.set(index, { retryable: true, reason: `${entity} ${event.id} is not served by the commerce API (yet)` })
      missing.push({ index, entity, id: event.id })
      continue
    }
    const valid = validate(entity, record)
    if (Result.isFailure(valid)) {
      failed.set(index, { retryable: false, reason: valid.failure.message })
      continue
    }
    const update = { index, entity, id: event.id, record, version: Date.parse(String(record["updatedAt"])), lane }
    const before = newest.get(object)
    // Versions have a second's precision: an equal version with other content is a later state
    // (the later delivery wins); with the same content it is a redelivery and the first stays.
    if (before === undefined || update.version > before.version || (update.version === before.version && !sameContent(update.record, before.record)))
      newest.set(object, update)
  }
  const updates = [...newest.entries()].flatMap(([object, update]) => {
    const deletion = deletions.get(object)
    if (deletion === undefined) return [update]
    if (update.version > deletion.deletedAt)
      failed.set(update.index, { retryable: true, reason: `${update.entity} ${update.id} changed after its deletion in the same batch: handled after it` })
    return []
  })
  return { updates, deletions: [...deletions.values()], failed, missing }
}
