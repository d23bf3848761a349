// HubSpot-defined association type ids between the object types we simulate.
import type { ObjectType } from "./ObjectTypes.ts"

export interface AssociationTypeDef {
  readonly from: ObjectType
  readonly to: ObjectType
  readonly typeId: number
  readonly label: string | null
  readonly v3Name: string
  readonly primary: boolean
}

const def = (from: ObjectType, to: ObjectType, typeId: number, v3Name: string, primary = false): AssociationTypeDef => ({
  from,
  to,
  typeId,
  label: primary ? "Primary" : null,
  v3Name,
  primary
})

export const associationTypes: readonly AssociationTypeDef[] = [
  def("contacts", "companies", 279, "contact_to_company_unlabeled"),
  def("contacts", "companies", 1, "contact_to_company", true),
  def("companies", "contacts", 280, "company_to_contact_unlabeled"),
  def("companies", "contacts", 2, "company_to_contact", true),
  def("orders", "contacts", 507, "order_to_contact"),
  def("contacts", "orders", 508, "contact_to_order"),
  def("orders", "companies", 509, "order_to_company"),
  def("companies", "orders", 510, "company_to_order")
]

export const findAssociationType = (typeId: number, from?: ObjectType): AssociationTypeDef | undefined =>
  associationTypes.find((t) => t.typeId === typeId && (from === undefined || t.from === from))

export const defaultAssociationType = (from: ObjectType, to: ObjectType): AssociationTypeDef | undefined =>
  associationTypes.find((t) => t.from === from && t.to === to && !t.primary)

export const inverseAssociationType = (t: AssociationTypeDef): AssociationTypeDef | undefined =>
  associationTypes.find((i) => i.from === t.to && i.to === t.from && i.primary === t.primary)
