// In-memory state of the simulated portal: objects, properties, associations.
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

export class SimStore {
  objects = new Map<string, CrmObject>()
  properties = new Map<ObjectType, Map<string, PropertyDefinition>>()
  groups = new Map<ObjectType, Map<string, PropertyGroup>>()
  associations = new Map<string, AssociationEdge>()
  private nextId = 100_001
  private listeners: Array<(c: SimChange) => void> = []
  /**
   * Ids of objects that held a property value at some point, by type, name and value: a lookup
   * by value (an upsert's idProperty, a unique-value check) checks these few instead of sorting
   * every object per input, which made a batch upsert cost seconds once the portal held 10 000
   * contacts. Kept from the change stream every mutation emits; entries are checked on use.
   */
  private held = new Map<string, Set<string>>()

  constructor(private readonly clock: () => number = Date.now) {
    this.reset()
  }

  reset(): void {
    const now = this.nowIso()
    this.objects.clear()
    this.associations.clear()
    this.held.clear()
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
    this.remember(change)
    for (const l of this.listeners) l(change)
  }

  private valueKey(t: ObjectType, name: string, value: string): string {
    return `${t}\u0000${name}\u0000${name === "email" ? value.toLowerCase() : value}`
  }

  private hold(t: ObjectType, id: string, name: string, value: string): void {
    const key = this.valueKey(t, name, value)
    const ids = this.held.get(key)
    if (ids === undefined) this.held.set(key, new Set([id]))
    else ids.add(id)
  }

  private holdAll(id: string): void {
    const obj = this.objects.get(id)
    if (obj !== undefined) for (const [name, value] of Object.entries(obj.properties)) this.hold(obj.objectType, id, name, value)
  }

  // A creation or a merge may set several properties at once (a merge fills the primary's blanks).
  private remember(change: SimChange): void {
    if (change.kind === "creation") this.holdAll(change.id)
    else if (change.kind === "merge") this.holdAll(change.primaryId)
    else if (change.kind === "propertyChange") this.hold(change.objectType, change.id, change.name, change.value)
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

  objectsOf(t: ObjectType, archived = false): CrmObject[] {
    return [...this.objects.values()]
      .filter((o) => o.objectType === t && o.archived === archived && o.mergedInto === undefined)
      .sort((a, b) => Number(a.id) - Number(b.id))
  }

  /** Finds a live object by id (or by a unique property), following merges to the survivor. */
  find(t: ObjectType, id: string, idProperty?: string): CrmObject | undefined {
    if (idProperty !== undefined && idProperty !== "hs_object_id") return this.findByValue(t, idProperty, id)
    let found = this.objects.get(id)
    while (found?.mergedInto !== undefined) found = this.objects.get(found.mergedInto)
    return found !== undefined && found.objectType === t && !found.archived ? found : undefined
  }

  /** The live object of the lowest id holding the value (emails compare case-insensitively). */
  findByValue(t: ObjectType, name: string, value: string): CrmObject | undefined {
    const wanted = name === "email" ? value.toLowerCase() : value
    let found: CrmObject | undefined
    for (const id of this.held.get(this.valueKey(t, name, value)) ?? []) {
      const o = this.objects.get(id)
      const v = o?.properties[name]
      if (o === undefined || o.objectType !== t || o.archived || o.mergedInto !== undefined || v === undefined) continue
      if ((name === "email" ? v.toLowerCase() : v) === wanted && (found === undefined || Number(o.id) < Number(found.id))) found = o
    }
    return found
  }

  edgeKey(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): string {
    return `${fromType}:${fromId}->${toType}:${toId}`
  }

  edgesFrom(t: ObjectType, id: string, toType?: ObjectType): AssociationEdge[] {
    return [...this.associations.values()].filter((e) => e.fromType === t && e.fromId === id && (toType === undefined || e.toType === toType))
  }

  snapshot(): unknown {
    return {
      objects: [...this.objects.values()],
      associations: [...this.associations.values()],
      properties: Object.fromEntries([...this.properties].map(([t, defs]) => [t, [...defs.values()]])),
      groups: Object.fromEntries([...this.groups].map(([t, defs]) => [t, [...defs.values()]]))
    }
  }
}
