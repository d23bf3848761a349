// The seeded two-way workload: companies with contacts (and later edits) made in HubSpot's UI;
// businesses, users and purchases (and later edits) made in the shop. It remembers what it made
// and the last value it wrote to each field, which is what the oracle expects on both sides.
import { Effect } from "effect"
import type { Simulator } from "../commerce/CommerceSimulator.ts"
import { seededRandom } from "../hubspot/Faults.ts"
import type { HubSpotSimulator } from "../hubspot/HubSpotSimulator.ts"

export type Origin = "hubspot" | "shop"
export type Kind = "company" | "contact" | "business" | "user" | "purchase"

/** One record the workload made, on the side it was made, with the fields it expects everywhere. */
export interface Made {
  readonly origin: Origin
  readonly kind: Kind
  readonly id: string
  readonly createdAt: number
  /** Shop-side field values expected on the shop record (HubSpot's are mapped by the oracle). */
  readonly fields: Record<string, string | number>
  /** Company (HubSpot) or business (shop) id this contact/user/purchase belongs to. */
  readonly parent?: string
  readonly user?: string
}

const STATUSES = ["paid", "shipped", "delivered"] as const
const CITIES = ["Berlin", "Lyon", "Porto", "Gent", "Graz", "Turku", "Bergen", "Cork"]
const NAMES = ["Ada", "Linus", "Grace", "Ken", "Barbara", "Edsger", "Frances", "Tim", "Radia", "Donald"]

export class Workload {
  readonly made: Array<Made> = []
  /** Shop changes whose publish failed (the broker was down): the shop kept nothing. */
  refusedShopChanges = 0
  private readonly random: () => number
  private n = 0

  constructor(
    seed: number,
    private readonly hubspot: HubSpotSimulator,
    private readonly commerce: Simulator
  ) {
    this.random = seededRandom(seed)
  }

  private pick<A>(items: ReadonlyArray<A>): A {
    return items[Math.floor(this.random() * items.length)] as A
  }

  private of(origin: Origin, kind: Kind): ReadonlyArray<Made> {
    return this.made.filter((m) => m.origin === origin && m.kind === kind)
  }

  /** One step of the workload; shop changes that fail (broker down) are counted and skipped. */
  async step(): Promise<void> {
    const r = this.random()
    if (r < 0.25) return this.hubspotCompany()
    if (r < 0.4) return this.hubspotEdit()
    if (r < 0.65) return this.shopBusiness()
    if (r < 0.85) return this.shopPurchase()
    return this.shopEdit()
  }

  private hubspotCompany(): void {
    const n = ++this.n
    const city = this.pick(CITIES)
    const company = this.hubspot.ui.create("companies", { name: `Chaos Co ${n}`, domain: `co${n}.chaos.example.com`, city })
    this.made.push({
      origin: "hubspot",
      kind: "company",
      id: company.id,
      createdAt: Date.now(),
      fields: { name: `Chaos Co ${n}`, domain: `co${n}.chaos.example.com`, city }
    })
    const contacts = 1 + Math.floor(this.random() * 3)
    for (let i = 1; i <= contacts; i++) {
      const fields = { email: `p${i}@co${n}.chaos.example.com`, firstName: this.pick(NAMES), lastName: `Co${n}` }
      const contact = this.hubspot.ui.create("contacts", { email: fields.email, firstname: fields.firstName, lastname: fields.lastName })
      this.hubspot.ui.associate("contacts", contact.id, "companies", company.id)
      this.made.push({ origin: "hubspot", kind: "contact", id: contact.id, createdAt: Date.now(), fields, parent: company.id })
    }
  }

  private hubspotEdit(): void {
    const contacts = this.of("hubspot", "contact")
    const companies = this.of("hubspot", "company")
    if (contacts.length === 0 || companies.length === 0) {
      this.hubspotCompany()
      return
    }
    if (this.random() < 0.6) {
      const contact = this.pick(contacts)
      const firstName = `${this.pick(NAMES)}${++this.n}`
      this.hubspot.ui.update("contacts", contact.id, { firstname: firstName })
      contact.fields["firstName"] = firstName
    } else {
      const company = this.pick(companies)
      const city = this.pick(CITIES)
      this.hubspot.ui.update("companies", company.id, { city })
      company.fields["city"] = city
    }
  }

  private shop<A>(change: Effect.Effect<A, unknown>): Promise<A | undefined> {
    return Effect.runPromise(change.pipe(Effect.timeout(10_000))).catch(() => {
      this.refusedShopChanges++
      return undefined
    })
  }

  private async shopBusiness(): Promise<void> {
    const n = ++this.n
    const fields = { name: `Shop Biz ${n}`, domain: `biz${n}.chaos.example.org`, city: this.pick(CITIES) }
    const business = await this.shop(this.commerce.createBusiness(fields))
    if (business === undefined) return
    this.made.push({ origin: "shop", kind: "business", id: String(business["id"]), createdAt: Date.now(), fields: { ...fields } })
    const userFields = { email: `buyer${n}@biz${n}.chaos.example.org`, firstName: this.pick(NAMES), lastName: `Biz${n}` }
    const user = await this.shop(this.commerce.createUser({ ...userFields, businessId: business["id"] }))
    if (user === undefined) return
    this.made.push({ origin: "shop", kind: "user", id: String(user["id"]), createdAt: Date.now(), fields: { ...userFields }, parent: String(business["id"]) })
  }

  private async shopPurchase(): Promise<void> {
    const users = this.of("shop", "user")
    if (users.length === 0) return this.shopBusiness()
    const user = this.pick(users)
    const n = ++this.n
    const fields = { reference: `#C${n}`, totalMinor: 1000 + Math.floor(this.random() * 90_000), currency: "EUR", status: "paid" }
    const purchase = await this.shop(
      this.commerce.createPurchase({
        ...fields,
        placedAt: new Date().toISOString(),
        userId: user.id,
        ...(user.parent === undefined ? {} : { businessId: user.parent })
      })
    )
    if (purchase === undefined) return
    this.made.push({
      origin: "shop",
      kind: "purchase",
      id: String(purchase["id"]),
      createdAt: Date.now(),
      fields: { ...fields },
      ...(user.parent === undefined ? {} : { parent: user.parent }),
      user: user.id
    })
  }

  private async shopEdit(): Promise<void> {
    const purchases = this.of("shop", "purchase").filter((p) => p.fields["status"] !== "delivered")
    if (purchases.length > 0 && this.random() < 0.6) {
      const purchase = this.pick(purchases)
      const status = STATUSES[STATUSES.indexOf(purchase.fields["status"] as (typeof STATUSES)[number]) + 1] ?? "delivered"
      if ((await this.shop(this.commerce.updatePurchase(purchase.id, { status }))) !== undefined) purchase.fields["status"] = status
      return
    }
    const users = this.of("shop", "user")
    if (users.length === 0) return this.shopBusiness()
    const user = this.pick(users)
    const firstName = `${this.pick(NAMES)}${++this.n}`
    if ((await this.shop(this.commerce.updateUser(user.id, { firstName }))) !== undefined) user.fields["firstName"] = firstName
  }
}
