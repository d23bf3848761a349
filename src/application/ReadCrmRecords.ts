// One Crm.read per object type for a whole batch (the adapter chunks at 100; associations come
// with the read), tagged with their type. Records the caller already read (a backfill page's list)
// are taken from the ReadAhead reference instead of being read again.
import { Context, Effect } from "effect"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { Crm, type CrmIdOf } from "./ports/Crm.ts"
import type { CrmRecord } from "./ShopUpserts.ts"

export const recordKey = (type: CrmObjectType, id: string) => `${type}:${id}`

export interface RecordsRead {
  /** By `recordKey`, as `readCrmRecords` returns them. */
  readonly records: ReadonlyMap<string, CrmRecord>
  /** When their read began (our clock): a write of ours that landed later may be missing from them. */
  readonly readAt: number
}

/**
 * Records already read from the CRM, with their associations, by whoever runs the flow: a backfill
 * page lists whole records, and flow A takes them from here instead of reading them a second time.
 * Unset (live sync): every record is read.
 */
export const ReadAhead = Context.Reference<RecordsRead | undefined>("crm-sync/application/ReadAhead", { defaultValue: () => undefined })

/** Ids to read per type, each once, leaving out those already read. */
export const idsByType = (
  keys: ReadonlyArray<{ readonly type: CrmObjectType; readonly id: string }>,
  already: ReadonlyMap<string, CrmRecord> = new Map()
): ReadonlyMap<CrmObjectType, ReadonlyArray<string>> => {
  const out = new Map<CrmObjectType, Set<string>>()
  for (const { type, id } of keys) if (!already.has(recordKey(type, id))) out.set(type, (out.get(type) ?? new Set()).add(id))
  return new Map([...out].map(([type, ids]) => [type, [...ids]]))
}

export const readCrmRecords = Effect.fn("readCrmRecords")(function* (idsByType: ReadonlyMap<CrmObjectType, ReadonlyArray<string>>) {
  const crm = yield* Crm
  const ahead = (yield* ReadAhead)?.records ?? new Map<string, CrmRecord>()
  const given = [...idsByType].flatMap(([type, ids]) => ids.flatMap((id) => ahead.get(recordKey(type, id)) ?? []))
  const toRead = [...idsByType]
    .map(([type, ids]): readonly [CrmObjectType, ReadonlyArray<string>] => [type, ids.filter((id) => !ahead.has(recordKey(type, id)))])
    .filter(([, ids]) => ids.length > 0)
  const read = yield* Effect.forEach(
    toRead,
    ([type, ids]) =>
      Effect.map(crm.read(type, ids as ReadonlyArray<CrmIdOf[CrmObjectType]>), (records) => records.map((record) => ({ type, record }) as CrmRecord)),
    { concurrency: "unbounded" }
  )
  return new Map([...given, ...read.flat()].map((item) => [recordKey(item.type, item.record.id), item] as const))
})
