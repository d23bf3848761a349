// The CRM object types the simulator knows, with every alias HubSpot accepts in paths.
export type ObjectType = "contacts" | "companies" | "orders"

export interface ObjectTypeInfo {
  readonly name: ObjectType
  readonly typeId: string
  readonly singular: string
  readonly eventPrefix: string
  readonly hubspotName: string
}

export const objectTypes: Record<ObjectType, ObjectTypeInfo> = {
  contacts: { name: "contacts", typeId: "0-1", singular: "contact", eventPrefix: "contact", hubspotName: "CONTACT" },
  companies: { name: "companies", typeId: "0-2", singular: "company", eventPrefix: "company", hubspotName: "COMPANY" },
  orders: { name: "orders", typeId: "0-123", singular: "order", eventPrefix: "object", hubspotName: "ORDER" }
}

export const resolveObjectType = (raw: string): ObjectType | undefined => {
  const key = raw.toLowerCase()
  for (const info of Object.values(objectTypes)) {
    if (key === info.name || key === info.typeId || key === info.singular) return info.name
  }
  return undefined
}
