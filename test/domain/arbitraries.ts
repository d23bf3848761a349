// fast-check arbitraries for valid commerce records (object mothers for property tests).
import fc from "fast-check"
import countries from "i18n-iso-countries"

const isoCountries = Object.keys(countries.getAlpha2Codes())
const phones = ["+4930901820", "+14155552671", "+442071838750", "+33142685300", "+81312345678", "+61293744000"]
const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim().length > 0)
const instant = fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString())
const emailArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9._%+-]{1,20}$/), fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.constantFrom("com", "de", "io", "shop"))
  .map(([local, host, tld]) => `${local}@${host}.${tld}`)

export const userArb = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9]{1,12}$/),
    email: emailArb,
    firstName: text(100),
    lastName: text(100),
    phone: fc.constantFrom(...phones),
    locale: fc.constantFrom("en-US", "de-DE", "fr", "pt-BR", "zh-Hant-TW"),
    stage: fc.constantFrom("subscriber", "prospect", "customer"),
    address: fc
      .record(
        { line1: text(255), city: text(100), postalCode: fc.stringMatching(/^[0-9A-Z]{3,10}$/), state: text(64), country: fc.constantFrom(...isoCountries) },
        { requiredKeys: ["line1", "city", "postalCode", "country"] }
      )
      .map((address) => (["US", "CA"].includes(address.country) && address.state === undefined ? { ...address, state: "ON" } : address)),
    updatedAt: instant
  },
  { requiredKeys: ["id", "email", "updatedAt"] }
)

export const businessArb = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9]{1,12}$/),
    name: text(255),
    domain: fc.domain(),
    country: fc.constantFrom(...isoCountries),
    city: text(100),
    phone: fc.constantFrom(...phones),
    updatedAt: instant
  },
  { requiredKeys: ["id", "name", "updatedAt"] }
)

export const purchaseArb = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9]{1,12}$/),
    reference: text(64),
    name: text(255),
    totalMinor: fc.integer({ min: 1, max: 1_000_000_000_000 }),
    currency: fc.constantFrom("EUR", "USD", "JPY", "BHD", "GBP", "CHF"),
    status: fc.constantFrom("pending", "paid", "shipped", "delivered", "cancelled", "refunded"),
    placedAt: instant,
    updatedAt: instant
  },
  { requiredKeys: ["id", "reference", "totalMinor", "currency", "status", "placedAt", "updatedAt"] }
)
