// The commerce platform's entity store: records by id, the CRM version each last took, deletions,
// and id allocation ("u-1", "b-1", "p-1"). Synchronous; the simulator serialises access to it.
// Entities are kept in id order and indexed by crmId, so a page or a lookup costs the same at
// 100 000 users (issue 10's benchmark) as at 10.
import { compareIds } from "../../../src/adapters/memory/InMemoryCommerceApi.ts"
import type { IdFilter, UnvalidatedRecord } from "../../../src/application/ports/CommerceApi.ts"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import { SortedList } from "../SortedList.ts"

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

const inIdOrder = () =>
  new SortedList<string, SimEntity>(
    (e) => e.id,
    (a, b) => compareIds(a, b)
  )

/** The crmId a live entity mirrors (the raw field: matched with ===, as a lookup by crmId compares). */
export const crmIdOf = (e: SimEntity): unknown => (e.deleted ? undefined : e.record["crmId"])

/** What planning an operation reads and allocates: the store itself, or a batch's staged view of it (StagedState). */
export interface StateView {
  readonly get: (entity: CommerceEntity, id: string) => SimEntity | undefined
  readonly byCrmId: (entity: CommerceEntity, crmId: string) => SimEntity | undefined
  readonly newId: (entity: CommerceEntity) => string
}

export class PlatformState implements StateView {
  /** In the order each id was first stored: a lookup by crmId that finds several takes the first. */
  private readonly byId: Record<CommerceEntity, Map<string, SimEntity>> = { user: new Map(), business: new Map(), purchase: new Map() }
  private readonly ordered: Record<CommerceEntity, SortedList<string, SimEntity>> = { user: inIdOrder(), business: inIdOrder(), purchase: inIdOrder() }
  /** Ids of the live entities holding each crmId. */
  private readonly byCrm: Record<CommerceEntity, Map<unknown, Set<string>>> = { user: new Map(), business: new Map(), purchase: new Map() }
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
    const ids = this.byCrm[entity].get(crmId)
    if (ids === undefined) return undefined
    if (ids.size === 1) for (const id of ids) return this.byId[entity].get(id)
    // Several live mirrors of one record (a test staging a duplicate): the first stored, as a scan finds it.
    const first = this.storedFirst(entity, ids)
    return first === undefined ? undefined : this.byId[entity].get(first)
  }

  /** Ids of the live entities holding a crmId (empty if none). */
  crmIdHolders(entity: CommerceEntity, crmId: unknown): ReadonlySet<string> {
    return this.byCrm[entity].get(crmId) ?? new Set()
  }

  /** The first stored of `ids` (the mirror a lookup by crmId takes when several hold one). */
  storedFirst(entity: CommerceEntity, ids: ReadonlySet<string>): string | undefined {
    for (const id of this.byId[entity].keys()) if (ids.has(id)) return id
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
    const before = this.byId[e.entity].get(e.id)
    const crm = this.byCrm[e.entity]
    const [was, is] = [before === undefined ? undefined : crmIdOf(before), crmIdOf(e)]
    if (was !== undefined && was !== is) {
      const ids = crm.get(was)
      ids?.delete(e.id)
      if (ids?.size === 0) crm.delete(was)
    }
    if (is !== undefined) crm.set(is, (crm.get(is) ?? new Set()).add(e.id))
    this.byId[e.entity].set(e.id, e)
    this.ordered[e.entity].set(e)
  }

  list(entity: CommerceEntity): ReadonlyArray<SimEntity> {
    return this.ordered[entity].values()
  }

  /** Live ids after the cursor (the last id handed out), like the in-memory adapter. */
  page(entity: CommerceEntity, filter: IdFilter, cursor: string | undefined, limit: number) {
    const ids: Array<string> = []
    if (limit <= 0) return { ids, next: undefined }
    // Start at the later of fromId (inclusive) and the cursor (exclusive); stop past toId.
    const startAtCursor = cursor !== undefined && (filter.fromId === undefined || compareIds(cursor, filter.fromId) >= 0)
    const entries = startAtCursor ? this.ordered[entity].from(cursor, true) : this.ordered[entity].from(filter.fromId)
    for (const e of entries) {
      if (filter.toId !== undefined && compareIds(e.id, filter.toId) > 0) break
      if (e.deleted || !matches(e, filter) || (cursor !== undefined && compareIds(e.id, cursor) <= 0)) continue
      // One beyond the page says whether there is a next one.
      if (ids.length === limit) return { ids, next: ids.at(-1) }
      ids.push(e.id)
    }
    return { ids, next: undefined }
  }
}
