// The chaos suite's oracle, computed from both sides' final states and what the workload made:
// every record reached the other side exactly once, with the last values written at its origin,
// and carries the other side's id (the id write-back).
import type { SimEntity, Simulator } from "../commerce/CommerceSimulator.ts"
import type { HubSpotSimulator } from "../hubspot/HubSpotSimulator.ts"
import type { ObjectType } from "../hubspot/ObjectTypes.ts"
import type { CrmObject } from "../hubspot/SimStore.ts"
import type { Kind, Made } from "./Workload.ts"

export interface Verdict {
  readonly lost: number
  readonly duplicates: number
  readonly mismatched: number
  readonly missingWriteBacks: number
  /** The first problems found, for the report. */
  readonly problems: ReadonlyArray<string>
  /** Every problem, as a stable key. */
  readonly keys: ReadonlyArray<string>
}

const STAGES: Record<string, string> = {
  pending: "open",
  paid: "processed",
  shipped: "shipped",
  delivered: "delivered",
  cancelled: "cancelled",
  refunded: "refunded"
}

const crmType: Record<Kind, ObjectType> = { company: "companies", contact: "contacts", business: "companies", user: "contacts", purchase: "orders" }
const shopEntity = { company: "business", contact: "user", business: "business", user: "user", purchase: "purchase" } as const
const idProperty = { business: "ecommerce_business_id", user: "ecommerce_user_id", purchase: "ecommerce_purchase_id" } as const

/** HubSpot's view of the shop fields the workload writes. */
const crmFields = (kind: Kind, fields: Made["fields"]): Record<string, string> => {
  switch (kind) {
    case "company":
    case "business":
      return { name: String(fields["name"]), domain: String(fields["domain"]), city: String(fields["city"]) }
    case "contact":
    case "user":
      return { email: String(fields["email"]), firstname: String(fields["firstName"]), lastname: String(fields["lastName"]) }
    case "purchase":
      return {
        hs_external_order_id: String(fields["reference"]),
        hs_pipeline_stage: STAGES[String(fields["status"])] ?? "?",
        hs_total_price: (Number(fields["totalMinor"]) / 100).toFixed(2)
      }
  }
}

/** Indexes both sides once per check. */
class Sides {
  private readonly shopByCrmId = new Map<string, Array<SimEntity>>()
  private readonly crmByShopId = new Map<string, Array<CrmObject>>()

  constructor(
    readonly hubspot: HubSpotSimulator,
    readonly commerce: Simulator
  ) {
    const state = commerce.state()
    for (const entity of ["user", "business", "purchase"] as const) {
      for (const e of state[entity]) {
        if (e.deleted || typeof e.record["crmId"] !== "string") continue
        const key = `${entity}:${e.record["crmId"]}`
        this.shopByCrmId.set(key, [...(this.shopByCrmId.get(key) ?? []), e])
      }
    }
    for (const [entity, type] of [
      ["business", "companies"],
      ["user", "contacts"],
      ["purchase", "orders"]
    ] as const) {
      for (const o of hubspot.state.objectsOf(type)) {
        const shopId = o.properties[idProperty[entity]]
        if (shopId === undefined || shopId === "") continue
        const key = `${entity}:${shopId}`
        this.crmByShopId.set(key, [...(this.crmByShopId.get(key) ?? []), o])
      }
    }
  }

  /** The other side's copies of what the workload made. */
  copies(m: Made): ReadonlyArray<SimEntity | CrmObject> {
    return m.origin === "hubspot"
      ? (this.shopByCrmId.get(`${shopEntity[m.kind]}:${m.id}`) ?? [])
      : (this.crmByShopId.get(`${shopEntity[m.kind]}:${m.id}`) ?? [])
  }

  shopRecord(m: Made): SimEntity | undefined {
    return m.origin === "shop" ? this.commerce.find(shopEntity[m.kind], m.id) : (this.copies(m)[0] as SimEntity | undefined)
  }

  crmRecord(m: Made): CrmObject | undefined {
    return m.origin === "hubspot" ? this.hubspot.state.find(crmType[m.kind], m.id) : (this.copies(m)[0] as CrmObject | undefined)
  }
}

/** Whether the other side already holds a copy (for sync latency). */
export const synced = (hubspot: HubSpotSimulator, commerce: Simulator) => {
  const sides = new Sides(hubspot, commerce)
  return (m: Made): boolean => sides.copies(m).length > 0
}

export const check = (made: ReadonlyArray<Made>, hubspot: HubSpotSimulator, commerce: Simulator): Verdict => {
  const sides = new Sides(hubspot, commerce)
  const problems: Array<string> = []
  const keys: Array<string> = []
  const note = (p: string) => {
    keys.push(p)
    if (problems.length < 25) problems.push(p)
  }
  let [lost, duplicates, mismatched, missingWriteBacks] = [0, 0, 0, 0]
  const shopIdOf = new Map<string, string>()
  for (const m of made) {
    const copies = sides.copies(m)
    if (copies.length === 0) {
      lost++
      note(`lost: ${m.origin} ${m.kind} ${m.id}`)
      continue
    }
    if (copies.length > 1) {
      duplicates += copies.length - 1
      note(`duplicate: ${m.origin} ${m.kind} ${m.id} has ${copies.length} copies`)
    }
    const shop = sides.shopRecord(m)
    const crm = sides.crmRecord(m)
    if (shop === undefined || crm === undefined) continue
    shopIdOf.set(m.id, shop.id)
    for (const [field, value] of Object.entries(m.fields)) {
      if (String(shop.record[field]) !== String(value)) {
        mismatched++
        note(`mismatch: shop ${shop.entity} ${shop.id}.${field} = ${JSON.stringify(shop.record[field])}, expected ${JSON.stringify(value)}`)
      }
    }
    for (const [property, value] of Object.entries(crmFields(m.kind, m.fields))) {
      if ((crm.properties[property] ?? "") !== value) {
        mismatched++
        note(`mismatch: HubSpot ${crm.objectType} ${crm.id}.${property} = ${JSON.stringify(crm.properties[property])}, expected ${JSON.stringify(value)}`)
      }
    }
    const entity = shopEntity[m.kind]
    if (crm.properties[idProperty[entity]] !== shop.id || shop.record["crmId"] !== crm.id) {
      missingWriteBacks++
      note(`missing id write-back: HubSpot ${crm.objectType} ${crm.id} ↔ shop ${entity} ${shop.id}`)
    }
  }
  // A HubSpot contact's company is its user's business in the shop.
  for (const m of made) {
    if (m.origin !== "hubspot" || m.kind !== "contact" || m.parent === undefined) continue
    const user = sides.shopRecord(m)
    const business = shopIdOf.get(m.parent)
    if (user !== undefined && business !== undefined && user.record["businessId"] !== business) {
      mismatched++
      note(`mismatch: shop user ${user.id}.businessId = ${JSON.stringify(user.record["businessId"])}, expected ${business}`)
    }
  }
  return { lost, duplicates, mismatched, missingWriteBacks, problems, keys }
}

export const passes = (v: Verdict): boolean => v.lost + v.duplicates + v.mismatched + v.missingWriteBacks === 0
