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

  constructor(private readonly clock: () => number = Date.now) {
    this.reset()
  }

  reset(): void {
    const now = this.nowIso()
    this.objects.clear()
    this.associations.clear()
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

  findByValue(t: ObjectType, name: string, value: string): CrmObject | undefined {
    const wanted = name === "email" ? value.toLowerCase() : value
    return this.objectsOf(t).find((o) => {
      const v = o.properties[name]
      return v !== undefined && (name === "email" ? v.toLowerCase() : v) === wanted
    })
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
