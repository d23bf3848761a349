// The commerce platform's entity store: records by id, the CRM version each last took, deletions,
// and id allocation ("u-1", "b-1", "p-1"). Synchronous; the simulator serialises access to it.
import { compareIds } from "../../../src/adapters/memory/InMemoryCommerceApi.ts"
import type { IdFilter, UnvalidatedRecord } from "../../../src/application/ports/CommerceApi.ts"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"

export type Rec = Readonly<Record<string, unknown>>
export type Seed = Partial<Record<CommerceEntity, ReadonlyArray<UnvalidatedRecord>>>

export interface SimEntity {
  readonly entity: CommerceEntity
  readonly id: string
  /** As the REST API serves it: id, crmId (once known), the fields, createdAt, updatedAt. */
  readonly record: Rec
  /** `version` of the last CRM upsert/delete applied; older ones are ignored. */
  readonly crmVersion: number | undefined
  readonly deleted: boolean
}

export const entities: ReadonlyArray<CommerceEntity> = ["user", "business", "purchase"]
const prefixes: Readonly<Record<CommerceEntity, string>> = { user: "u", business: "b", purchase: "p" }

const createdAt = (record: Rec): string => String(record["createdAt"] ?? record["updatedAt"] ?? "")

const matches = (e: SimEntity, filter: IdFilter): boolean =>
  (filter.fromId === undefined || compareIds(e.id, filter.fromId) >= 0) &&
  (filter.toId === undefined || compareIds(e.id, filter.toId) <= 0) &&
  (filter.createdFrom === undefined || createdAt(e.record) >= filter.createdFrom) &&
  (filter.createdTo === undefined || createdAt(e.record) < filter.createdTo)

export class PlatformState {
  private readonly byId: Record<CommerceEntity, Map<string, SimEntity>> = { user: new Map(), business: new Map(), purchase: new Map() }
  private readonly counters: Record<CommerceEntity, number> = { user: 0, business: 0, purchase: 0 }

  constructor(seed: Seed = {}) {
    for (const entity of entities) {
      for (const record of seed[entity] ?? []) this.put({ entity, id: String(record["id"]), record, crmVersion: undefined, deleted: false })
    }
  }

  get(entity: CommerceEntity, id: string): SimEntity | undefined {
    return this.byId[entity].get(id)
  }

  /** The live entity mirroring a CRM record. */
  byCrmId(entity: CommerceEntity, crmId: string): SimEntity | undefined {
    for (const e of this.byId[entity].values()) if (!e.deleted && e.record["crmId"] === crmId) return e
    return undefined
  }

  /** Burns a number even if the caller never stores it, as a database sequence does. */
  newId(entity: CommerceEntity): string {
    let id: string
    do id = `${prefixes[entity]}-${++this.counters[entity]}`
    while (this.byId[entity].has(id))
    return id
  }

  put(e: SimEntity): void {
    this.byId[e.entity].set(e.id, e)
  }

  list(entity: CommerceEntity): ReadonlyArray<SimEntity> {
    return [...this.byId[entity].values()].sort((a, b) => compareIds(a.id, b.id))
  }

  /** Live ids after the cursor (the last id handed out), like the in-memory adapter. */
  page(entity: CommerceEntity, filter: IdFilter, cursor: string | undefined, limit: number) {
    const ids = this.list(entity)
      .filter((e) => !e.deleted && matches(e, filter) && (cursor === undefined || compareIds(e.id, cursor) > 0))
      .map((e) => e.id)
    const page = ids.slice(0, Math.max(0, limit))
    return { ids: page, next: ids.length > page.length ? page.at(-1) : undefined }
  }
}
