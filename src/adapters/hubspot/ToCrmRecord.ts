// HubSpot's SimplePublicObject (plus association ids) as the port's Contact/Company/Order.
import type { CrmRecordOf } from "../../application/ports/Crm.ts"
import type { CrmObjectType, CrmProperties } from "../../domain/CrmProperties.ts"
import { associationsOf } from "./HubSpotObjectTypes.ts"

export interface HubSpotObject {
  readonly id: string
  readonly properties: Readonly<Record<string, string | null>>
  readonly updatedAt?: Date
}

/** Associated ids per target type, per source id. */
export type Links = ReadonlyMap<CrmObjectType, ReadonlyMap<string, ReadonlyArray<string>>>

// hs_lastmodifieddate is an ISO date on reads and may be epoch ms in other answers.
const epochMs = (raw: string | null | undefined): number | undefined => {
  if (raw === null || raw === undefined || raw === "") return undefined
  const n = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  return Number.isFinite(n) ? n : undefined
}

export const updatedAtOf = (o: HubSpotObject): number =>
  epochMs(o.properties["hs_lastmodifieddate"]) ?? epochMs(o.properties["lastmodifieddate"]) ?? o.updatedAt?.getTime() ?? 0

export const toCrmRecord = <T extends CrmObjectType>(type: T, o: HubSpotObject, links: Links): CrmRecordOf[T] => {
  const ids = Object.fromEntries(associationsOf[type].map(({ to, field }) => [field, [...(links.get(to)?.get(o.id) ?? [])]]))
  const properties: CrmProperties = { ...o.properties }
  // The port's record types differ only in their id-array fields, which `ids` fills per type.
  return { id: o.id, properties, updatedAt: updatedAtOf(o), ...ids } as unknown as CrmRecordOf[T]
}
