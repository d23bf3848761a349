// The commerce platform's REST lookups served from memory: the embedded mode and the tests.
import { Effect, Layer, Option } from "effect"
import { CommerceApi, type IdFilter, type UnvalidatedRecord } from "../../application/ports/CommerceApi.ts"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"

/** Numeric ids compare as numbers, the rest as strings: the order a shop's ids are listed in. */
export const compareIds = (a: string, b: string): number =>
  /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) || a.length - b.length : a < b ? -1 : a > b ? 1 : 0

const createdAt = (record: UnvalidatedRecord): string => String(record["createdAt"] ?? record["updatedAt"] ?? "")

const matches = (id: string, record: UnvalidatedRecord, filter: IdFilter): boolean =>
  (filter.fromId === undefined || compareIds(id, filter.fromId) >= 0) &&
  (filter.toId === undefined || compareIds(id, filter.toId) <= 0) &&
  (filter.createdFrom === undefined || createdAt(record) >= filter.createdFrom) &&
  (filter.createdTo === undefined || createdAt(record) < filter.createdTo)

export const make = (seed: Partial<Record<CommerceEntity, ReadonlyArray<UnvalidatedRecord>>> = {}) =>
  Effect.sync(() => {
    const records: Record<CommerceEntity, Map<string, UnvalidatedRecord>> = { user: new Map(), business: new Map(), purchase: new Map() }
    const put = (entity: CommerceEntity, record: UnvalidatedRecord) => records[entity].set(String(record["id"]), record)
    for (const [entity, list] of Object.entries(seed) as Array<[CommerceEntity, ReadonlyArray<UnvalidatedRecord>]>) for (const r of list) put(entity, r)

    const fetch = (entity: CommerceEntity, id: string) => Effect.sync(() => Option.fromNullishOr(records[entity].get(id)))

    const fetchMany = (entity: CommerceEntity, ids: ReadonlyArray<string>) =>
      Effect.sync(() =>
        [...new Set(ids)].flatMap((id) => Option.toArray(Option.map(Option.fromNullishOr(records[entity].get(id)), (record) => ({ id, record }))))
      )

    // The cursor is the last id handed out, so a page boundary survives inserts and restarts.
    const listIds = (entity: CommerceEntity, filter: IdFilter, cursor: string | undefined, limit: number) =>
      Effect.sync(() => {
        const ids = [...records[entity].entries()]
          .filter(([id, record]) => matches(id, record, filter) && (cursor === undefined || compareIds(id, cursor) > 0))
          .map(([id]) => id)
          .sort(compareIds)
        const page = ids.slice(0, Math.max(0, limit))
        return { ids: page, next: ids.length > page.length ? page.at(-1) : undefined }
      })

    return Object.assign(CommerceApi.of({ fetch, fetchMany, listIds }), { put })
  })

export const layer = (seed: Partial<Record<CommerceEntity, ReadonlyArray<UnvalidatedRecord>>> = {}) => Layer.effect(CommerceApi, make(seed))
