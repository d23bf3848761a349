// In-memory state of the simulated portal: objects, properties, associations, with the indexes
// that keep every call's cost independent of the portal's size (issue 10 seeds 400 000 objects):
// live and archived objects per type in id order, edges by their from-object, and, built on the
// first lookup of a (type, property), live objects by that property's value. Objects are changed
// only through the methods here (insert, setProperty, retire) so the indexes stay true.
import { SortedList } from "../SortedList.ts"
import { defaultGroups, defaultProperties, type PropertyDefinition, type PropertyGroup } from "./DefaultProperties.ts"
import type { ObjectType } from "./ObjectTypes.ts"
import type { SimChange } from "./SimChange.ts"

export interface CrmObject {
  id: string
  objectType: ObjectType
  properties: Record<string, string>
  createdAt: string
  updatedAt: string
  archived: boolean
  archivedAt?: string
  mergedInto?: string
}

export interface AssociationEdge {
  fromType: ObjectType
  fromId: string
  toType: ObjectType
  toId: string
  typeIds: number[]
}

const allTypes: ObjectType[] = ["contacts", "companies", "orders"]

/** HubSpot ids are numbers handed out in increasing order: lists are in that order. */
const byId = () =>
  new SortedList<number, CrmObject>(
    (o) => Number(o.id),
    (a, b) => a - b
  )
const perType = <A>(make: () => A): Record<ObjectType, A> => ({ contacts: make(), companies: make(), orders: make() })

/** Emails are matched case-insensitively; every other value exactly. */
const normalized = (name: string, value: string): string => (name === "email" ? value.toLowerCase() : value)

/** Value to its holder, or to a Set when several hold it (a Set for each of 300 000 unique emails cost ~100 MB). */
type ValueIndex = Map<string, CrmObject | Set<CrmObject>>

export class SimStore {
  /** Every object ever created (archived and merged ones too) by id: read it, change objects through the methods. */
  readonly objects = new Map<string, CrmObject>()
  properties = new Map<ObjectType, Map<string, PropertyDefinition>>()
  groups = new Map<ObjectType, Map<string, PropertyGroup>>()
  private readonly live = perType(byId)
  /** Archived and not merged: what `?archived=true` lists. */
  private readonly archived = perType(byId)
  private readonly associations = new Map<string, AssociationEdge>()
  /** An object's edges in the order they were made (an array: most objects have a handful, a Map each cost 150 MB at issue 10's size). */
  private readonly edgesByFrom = new Map<string, AssociationEdge[]>()
  private readonly valueIndexes = perType(() => new Map<string, ValueIndex>())
  private nextId = 100_001
  private listeners: Array<(c: SimChange) => void> = []

  constructor(private readonly clock: () => number = Date.now) {
    this.reset()
  }

  reset(): void {
    const now = this.nowIso()
    this.objects.clear()
    this.associations.clear()
    this.edgesByFrom.clear()
    for (const t of allTypes) {
      this.live[t].clear()
      this.archived[t].clear()
      this.valueIndexes[t].clear()
    }
    this.nextId = 100_001
    for (const t of allTypes) {
      this.properties.set(t, defaultProperties(t, now))
      this.groups.set(t, defaultGroups(t))
    }
  }

  onChange(listener: (c: SimChange) => void): void {
    this.listeners.push(listener)
  }

  emit(change: SimChange): void {
    for (const l of this.listeners) l(change)
  }

  now(): number {
    return this.clock()
  }

  nowIso(): string {
    return new Date(this.clock()).toISOString()
  }

  newId(): string {
    return String(this.nextId++)
  }

  propertyDefs(t: ObjectType): Map<string, PropertyDefinition> {
    const defs = this.properties.get(t)
    if (defs === undefined) throw new Error(`no properties for ${t}`)
    return defs
  }

  groupDefs(t: ObjectType): Map<string, PropertyGroup> {
    const defs = this.groups.get(t)
    if (defs === undefined) throw new Error(`no groups for ${t}`)
    return defs
  }

  /** Adds a new live object (its properties already set). */
  insert(obj: CrmObject): void {
    this.objects.set(obj.id, obj)
    this.live[obj.objectType].set(obj)
    for (const [name, index] of this.valueIndexes[obj.objectType]) {
      const value = obj.properties[name]
      if (value !== undefined) this.index(index, name, value, obj)
    }
  }

  /** Sets a property (removes it when `value` is undefined). */
  setProperty(obj: CrmObject, name: string, value: string | undefined): void {
    const index = this.isLive(obj) ? this.valueIndexes[obj.objectType].get(name) : undefined
    const before = obj.properties[name]
    if (index !== undefined && before !== undefined) this.unindex(index, name, before, obj)
    if (value === undefined) delete obj.properties[name]
    else obj.properties[name] = value
    if (index !== undefined && value !== undefined) this.index(index, name, value, obj)
  }

  /** Archives a live object, or marks it merged into `mergedInto`; either way it leaves the live lists and lookups. */
  retire(obj: CrmObject, archivedAt: string, mergedInto?: string): void {
    if (!this.isLive(obj)) return
    for (const [name, index] of this.valueIndexes[obj.objectType]) {
      const value = obj.properties[name]
      if (value !== undefined) this.unindex(index, name, value, obj)
    }
    this.live[obj.objectType].delete(Number(obj.id))
    obj.archived = true
    obj.archivedAt = archivedAt
    if (mergedInto === undefined) this.archived[obj.objectType].set(obj)
    else obj.mergedInto = mergedInto
  }

  /** Live (or archived, not merged) objects of a type in id order: a copy of all of them. */
  objectsOf(t: ObjectType, archived = false): CrmObject[] {
    return (archived ? this.archived : this.live)[t].values()
  }

  /** Up to `limit` live (or archived, not merged) objects of a type with an id of at least `after`, in id order. */
  objectsFrom(t: ObjectType, archived: boolean, after: number, limit: number): CrmObject[] {
    const page: CrmObject[] = []
    if (Number.isNaN(after) || limit <= 0) return page
    for (const o of (archived ? this.archived : this.live)[t].from(after)) {
      page.push(o)
      if (page.length >= limit) break
    }
    return page
  }

  /** How many live objects of a type have an id in [lo, hi]. */
  countBetween(t: ObjectType, lo: number, hi: number): number {
    const ids = this.live[t]
    return hi < lo ? 0 : (hi === Number.POSITIVE_INFINITY ? ids.size : ids.rank(Math.floor(hi) + 1)) - ids.rank(lo)
  }

  /** Finds a live object by id (or by a unique property), following merges to the survivor. */
  find(t: ObjectType, id: string, idProperty?: string): CrmObject | undefined {
    if (idProperty !== undefined && idProperty !== "hs_object_id") return this.findByValue(t, idProperty, id)
    let found = this.objects.get(id)
    while (found?.mergedInto !== undefined) found = this.objects.get(found.mergedInto)
    return found !== undefined && found.objectType === t && !found.archived ? found : undefined
  }

  /** The live object (the lowest id when several) holding `value` in `name`; emails match case-insensitively. */
  findByValue(t: ObjectType, name: string, value: string): CrmObject | undefined {
    const holders = this.valueIndex(t, name).get(normalized(name, value))
    if (holders === undefined || !(holders instanceof Set)) return holders
    let lowest: CrmObject | undefined
    for (const o of holders) if (lowest === undefined || Number(o.id) < Number(lowest.id)) lowest = o
    return lowest
  }

  edgeKey(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): string {
    return `${fromType}:${fromId}->${toType}:${toId}`
  }

  edge(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): AssociationEdge | undefined {
    return this.associations.get(this.edgeKey(fromType, fromId, toType, toId))
  }

  addEdge(e: AssociationEdge): void {
    this.associations.set(this.edgeKey(e.fromType, e.fromId, e.toType, e.toId), e)
    const from = `${e.fromType}:${e.fromId}`
    const edges = this.edgesByFrom.get(from)
    if (edges === undefined) this.edgesByFrom.set(from, [e])
    else edges.push(e)
  }

  removeEdge(e: AssociationEdge): void {
    this.associations.delete(this.edgeKey(e.fromType, e.fromId, e.toType, e.toId))
    const from = `${e.fromType}:${e.fromId}`
    const edges = this.edgesByFrom.get(from)
    const at = edges?.indexOf(e) ?? -1
    if (at >= 0) edges?.splice(at, 1)
    if (edges?.length === 0) this.edgesByFrom.delete(from)
  }

  /** The edges from an object (to one type), in the order they were made: a copy, safe to change the store while reading. */
  edgesFrom(t: ObjectType, id: string, toType?: ObjectType): AssociationEdge[] {
    const edges = this.edgesByFrom.get(`${t}:${id}`) ?? []
    return toType === undefined ? [...edges] : edges.filter((e) => e.toType === toType)
  }

  snapshot(): unknown {
    return {
      objects: [...this.objects.values()],
      associations: [...this.associations.values()],
      properties: Object.fromEntries([...this.properties].map(([t, defs]) => [t, [...defs.values()]])),
      groups: Object.fromEntries([...this.groups].map(([t, defs]) => [t, [...defs.values()]]))
    }
  }

  private isLive(obj: CrmObject): boolean {
    return !obj.archived && obj.mergedInto === undefined && this.objects.get(obj.id) === obj
  }

  /** Built from the live objects on the first lookup of (t, name), kept up to date from then on. */
  private valueIndex(t: ObjectType, name: string): ValueIndex {
    const known = this.valueIndexes[t].get(name)
    if (known !== undefined) return known
    const index: ValueIndex = new Map()
    for (const o of this.live[t].from()) {
      const value = o.properties[name]
      if (value !== undefined) this.index(index, name, value, o)
    }
    this.valueIndexes[t].set(name, index)
    return index
  }

  private index(index: ValueIndex, name: string, value: string, obj: CrmObject): void {
    const key = normalized(name, value)
    const holders = index.get(key)
    if (holders === undefined || holders === obj) index.set(key, obj)
    else if (holders instanceof Set) holders.add(obj)
    else index.set(key, new Set([holders, obj]))
  }

  private unindex(index: ValueIndex, name: string, value: string, obj: CrmObject): void {
    const key = normalized(name, value)
    const holders = index.get(key)
    if (holders === obj) index.delete(key)
    else if (holders instanceof Set) {
      holders.delete(obj)
      const only = holders.values().next().value
      if (only === undefined) index.delete(key)
      else if (holders.size === 1) index.set(key, only)
    }
  }
}
