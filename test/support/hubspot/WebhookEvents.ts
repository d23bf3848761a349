// Turns simulator changes into HubSpot webhook events.
import { objectTypes } from "./ObjectTypes.ts"
import type { SimChange } from "./SimChange.ts"

export interface WebhookEvent {
  eventId: number
  subscriptionId: number
  portalId: number
  appId: number
  occurredAt: number
  subscriptionType: string
  attemptNumber: number
  changeSource: string
  sourceId?: string
  objectId?: number
  objectTypeId?: string
  propertyName?: string
  propertyValue?: string
  primaryObjectId?: number
  mergedObjectIds?: number[]
  newObjectId?: number
  numberOfPropertiesMoved?: number
  associationType?: string
  fromObjectId?: number
  toObjectId?: number
  associationRemoved?: boolean
  isPrimaryAssociation?: boolean
}

export interface EventIdentity {
  readonly portalId: number
  readonly appId: number
}

const subscriptionIds = new Map<string, number>()
const subscriptionIdFor = (type: string): number => {
  const known = subscriptionIds.get(type)
  if (known !== undefined) return known
  const id = 1_000_000 + subscriptionIds.size * 7 + 1
  subscriptionIds.set(type, id)
  return id
}

const objectTypeOf = (c: SimChange) => objectTypes[c.kind === "associationChange" ? c.fromType : c.objectType]

const payload = (c: SimChange): Partial<WebhookEvent> => {
  switch (c.kind) {
    case "creation":
    case "deletion":
      return { objectId: Number(c.id) }
    case "propertyChange":
      return { objectId: Number(c.id), propertyName: c.name, propertyValue: c.value }
    case "merge":
      return {
        objectId: Number(c.primaryId),
        primaryObjectId: Number(c.primaryId),
        mergedObjectIds: c.mergedIds.map(Number),
        newObjectId: Number(c.primaryId),
        numberOfPropertiesMoved: c.moved
      }
    case "associationChange":
      return {
        associationType: `${objectTypes[c.fromType].hubspotName}_TO_${objectTypes[c.toType].hubspotName}`,
        fromObjectId: Number(c.fromId),
        toObjectId: Number(c.toId),
        associationRemoved: c.removed,
        isPrimaryAssociation: c.primary
      }
  }
}

export const toWebhookEvent = (c: SimChange, eventId: number, identity: EventIdentity, occurredAt: number): WebhookEvent => {
  const info = objectTypeOf(c)
  const subscriptionType = `${info.eventPrefix}.${c.kind}`
  return {
    eventId,
    subscriptionId: subscriptionIdFor(subscriptionType),
    portalId: identity.portalId,
    appId: identity.appId,
    occurredAt,
    subscriptionType,
    attemptNumber: 0,
    changeSource: c.source,
    sourceId: c.source === "CRM_UI" ? "userId:1234567" : String(identity.appId),
    ...(info.eventPrefix === "object" ? { objectTypeId: info.typeId } : {}),
    ...payload(c)
  }
}
