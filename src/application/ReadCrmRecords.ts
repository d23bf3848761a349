// One Crm.read per object type for a whole batch (the adapter chunks at 100; associations come
// with the read), tagged with their type.
import { Effect } from "effect"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { Crm, type CrmIdOf } from "./ports/Crm.ts"
import type { CrmRecord } from "./ShopUpserts.ts"

export const recordKey = (type: CrmObjectType, id: string) => `${type}:${id}`

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
  const read = yield* Effect.forEach(
    [...idsByType].filter(([, ids]) => ids.length > 0),
    ([type, ids]) =>
      Effect.map(crm.read(type, ids as ReadonlyArray<CrmIdOf[CrmObjectType]>), (records) => records.map((record) => ({ type, record }) as CrmRecord)),
    { concurrency: "unbounded" }
  )
  return new Map(read.flat().map((item) => [recordKey(item.type, item.record.id), item] as const))
})
