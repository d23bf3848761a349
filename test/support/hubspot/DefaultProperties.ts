// Property definitions every HubSpot portal starts with (the subset our service touches).
import type { ObjectType } from "./ObjectTypes.ts"

export interface PropertyOption {
  readonly label: string
  readonly value: string
  readonly displayOrder: number
  readonly hidden: boolean
}

export interface PropertyDefinition {
  name: string
  label: string
  type: string
  fieldType: string
  groupName: string
  description: string
  options: PropertyOption[]
  hasUniqueValue: boolean
  hubspotDefined: boolean
  readOnlyValue: boolean
  createdAt: string
  updatedAt: string
}

export interface PropertyGroup {
  name: string
  label: string
  displayOrder: number
  archived: boolean
}

type Spec = readonly [name: string, type: string, fieldType: string, readOnly?: boolean]

const common: Spec[] = [
  ["hs_object_id", "number", "number", true],
  ["createdate", "datetime", "date"],
  ["hs_lastmodifieddate", "datetime", "date", true],
  ["hs_merged_object_ids", "enumeration", "checkbox", true]
]

const specs: Record<ObjectType, Spec[]> = {
  contacts: [
    ...common,
    ["email", "string", "text"],
    ["firstname", "string", "text"],
    ["lastname", "string", "text"],
    ["phone", "string", "phonenumber"],
    ["mobilephone", "string", "phonenumber"],
    ["company", "string", "text"],
    ["jobtitle", "string", "text"],
    ["website", "string", "text"],
    ["city", "string", "text"],
    ["country", "string", "text"],
    ["address", "string", "text"],
    ["zip", "string", "text"],
    ["state", "string", "text"],
    ["hs_language", "enumeration", "select"],
    ["lifecyclestage", "enumeration", "radio"],
    ["hs_additional_emails", "enumeration", "checkbox", true],
    ["lastmodifieddate", "datetime", "date", true]
  ],
  companies: [
    ...common,
    ["name", "string", "text"],
    ["domain", "string", "text"],
    ["phone", "string", "phonenumber"],
    ["city", "string", "text"],
    ["country", "string", "text"],
    ["industry", "enumeration", "select"],
    ["website", "string", "text"],
    ["numberofemployees", "number", "number"],
    ["annualrevenue", "number", "number"]
  ],
  orders: [
    ...common,
    ["hs_createdate", "datetime", "date", true],
    ["hs_order_name", "string", "text"],
    ["hs_currency_code", "enumeration", "select"],
    ["hs_total_price", "number", "number"],
    ["hs_subtotal_price", "number", "number"],
    ["hs_external_order_id", "string", "text"],
    ["hs_external_created_date", "datetime", "date"],
    ["hs_source_store", "string", "text"],
    ["hs_fulfillment_status", "string", "text"],
    ["hs_pipeline", "enumeration", "select"],
    ["hs_pipeline_stage", "enumeration", "select"]
  ]
}

export const defaultPropertyNames: Record<ObjectType, readonly string[]> = {
  contacts: ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
  companies: ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
  orders: ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"]
}

const groupNameFor: Record<ObjectType, string> = {
  contacts: "contactinformation",
  companies: "companyinformation",
  orders: "orderinformation"
}

const toDefinition = (objectType: ObjectType, [name, type, fieldType, readOnly]: Spec, now: string): PropertyDefinition => ({
  name,
  label: name,
  type,
  fieldType,
  groupName: groupNameFor[objectType],
  description: "",
  options: [],
  hasUniqueValue: false,
  hubspotDefined: true,
  readOnlyValue: readOnly ?? false,
  createdAt: now,
  updatedAt: now
})

export const defaultProperties = (objectType: ObjectType, now: string): Map<string, PropertyDefinition> =>
  new Map(specs[objectType].map((spec) => [spec[0], toDefinition(objectType, spec, now)]))

export const defaultGroups = (objectType: ObjectType): Map<string, PropertyGroup> => {
  const name = groupNameFor[objectType]
  return new Map([[name, { name, label: name, displayOrder: -1, archived: false }]])
}
