// How the port's three object types are named in HubSpot's paths, which associations each
// record carries, and which properties a read asks for.
import type { CrmRecordOf } from "../../application/ports/Crm.ts"
import { entityOf, rowsOf } from "../../domain/CorrespondenceTable.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"

export const hubspotType: Readonly<Record<CrmObjectType, string>> = { contact: "contacts", company: "companies", order: "orders" }

type IdsField<T extends CrmObjectType> = Exclude<keyof CrmRecordOf[T], "id" | "properties" | "updatedAt">

/** The associated types a record of each type lists, and the field that holds their ids. */
export const associationsOf: { readonly [T in CrmObjectType]: ReadonlyArray<{ readonly to: CrmObjectType; readonly field: IdsField<T> }> } = {
  contact: [{ to: "company", field: "companyIds" }],
  company: [{ to: "contact", field: "contactIds" }],
  order: [
    { to: "contact", field: "contactIds" },
    { to: "company", field: "companyIds" }
  ]
}

// HubSpot returns only the properties asked for; updatedAt is read from the last-modified ones.
const timestamps = ["hs_lastmodifieddate", "lastmodifieddate"]

/** The mapped properties of the correspondence table, plus the last-modified stamps. */
export const defaultProperties = (type: CrmObjectType): ReadonlyArray<string> => [
  ...new Set([...rowsOf(entityOf[type]).map((r) => r.crmProperty), ...timestamps])
]
