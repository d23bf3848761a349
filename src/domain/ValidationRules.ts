// The field rules shared by both edges: the commerce edge checks incoming records, the CRM edge
// checks HubSpot properties after mapping them to commerce fields.
import parsePhoneNumber from "libphonenumber-js/max"
import type { CommerceEntity } from "./CorrespondenceTable.ts"
import { isIsoCountry, isIsoCurrency } from "./Transform.ts"

/** HubSpot stores at most 65,536 characters in a text property. */
export const CRM_TEXT_LIMIT = 65_536

export interface FieldRule {
  readonly path: string
  readonly rule: string
  readonly message: string
  readonly check: (value: unknown) => boolean
}

const isString = (value: unknown): value is string => typeof value === "string"
const maxLength = (path: string, commerceLimit: number): FieldRule => {
  const limit = Math.min(commerceLimit, CRM_TEXT_LIMIT)
  return { path, rule: "maxLength", message: `must be at most ${limit} characters`, check: (v) => isString(v) && v.length <= limit }
}
const nonEmpty = (path: string): FieldRule => ({
  path,
  rule: "nonEmpty",
  message: "must not be empty",
  check: (v) => isString(v) && v.trim().length > 0
})
const matches = (path: string, rule: string, message: string, test: (v: string) => boolean): FieldRule => ({
  path,
  rule,
  message,
  check: (v) => isString(v) && test(v)
})

const EMAIL = /^[^\s@"<>()[\],;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/
export const isEmail = (v: string): boolean => v.length <= 254 && EMAIL.test(v)
export const isPhone = (v: string): boolean => parsePhoneNumber(v)?.isValid() === true
export const isInstant = (v: string): boolean => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(new Date(v).getTime())
const isLocale = (v: string): boolean => {
  try {
    return Intl.getCanonicalLocales(v).length === 1
  } catch {
    return false
  }
}

const email = (path: string) => matches(path, "email", "must be an e-mail address", isEmail)
const phone = (path: string) => matches(path, "phone", "must be a valid phone number (E.164, e.g. +4930901820)", isPhone)
const country = (path: string) => matches(path, "countryCode", "must be an ISO 3166-1 alpha-2 code", isIsoCountry)
const instant = (path: string) => matches(path, "instant", "must be an ISO-8601 instant", isInstant)

export const requiredFields: Readonly<Record<CommerceEntity, ReadonlyArray<string>>> = {
  user: ["id", "email", "updatedAt"],
  business: ["id", "name", "updatedAt"],
  purchase: ["id", "reference", "totalMinor", "currency", "status", "placedAt", "updatedAt"]
}

export const fieldRules: Readonly<Record<CommerceEntity, ReadonlyArray<FieldRule>>> = {
  user: [
    email("email"),
    maxLength("firstName", 100),
    maxLength("lastName", 100),
    phone("phone"),
    matches("locale", "locale", "must be a BCP 47 locale", isLocale),
    nonEmpty("address.line1"),
    maxLength("address.line1", 255),
    nonEmpty("address.city"),
    maxLength("address.city", 100),
    maxLength("address.postalCode", 16),
    maxLength("address.state", 64),
    country("address.country"),
    instant("updatedAt")
  ],
  business: [
    nonEmpty("name"),
    maxLength("name", 255),
    matches("domain", "domain", "must be a lower-case host name such as shop.example.com", (v) => DOMAIN.test(v)),
    maxLength("vatNumber", 14),
    country("country"),
    maxLength("city", 100),
    phone("phone"),
    instant("updatedAt")
  ],
  purchase: [
    nonEmpty("reference"),
    maxLength("reference", 64),
    maxLength("name", 255),
    { path: "totalMinor", rule: "minorUnits", message: "must be a non-negative integer", check: (v) => Number.isSafeInteger(v) && (v as number) >= 0 },
    matches("currency", "currencyCode", "must be an ISO 4217 code", isIsoCurrency),
    {
      path: "status",
      rule: "enum",
      message: "must be one of pending, paid, shipped, delivered, cancelled, refunded",
      check: (v) => isString(v) && ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"].includes(v)
    },
    instant("placedAt"),
    instant("updatedAt")
  ]
}

/** EU VAT number formats, with the country prefix (Greece uses "EL"). */
export const euVatFormats: Readonly<Record<string, RegExp>> = {
  AT: /^ATU\d{8}$/,
  BE: /^BE[01]\d{9}$/,
  BG: /^BG\d{9,10}$/,
  CY: /^CY\d{8}[A-Z]$/,
  CZ: /^CZ\d{8,10}$/,
  DE: /^DE\d{9}$/,
  DK: /^DK\d{8}$/,
  EE: /^EE\d{9}$/,
  GR: /^EL\d{9}$/,
  ES: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/,
  FI: /^FI\d{8}$/,
  FR: /^FR[A-HJ-NP-Z0-9]{2}\d{9}$/,
  HR: /^HR\d{11}$/,
  HU: /^HU\d{8}$/,
  IE: /^IE(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^IT\d{11}$/,
  LT: /^LT(\d{9}|\d{12})$/,
  LU: /^LU\d{8}$/,
  LV: /^LV\d{11}$/,
  MT: /^MT\d{8}$/,
  NL: /^NL\d{9}B\d{2}$/,
  PL: /^PL\d{10}$/,
  PT: /^PT\d{9}$/,
  RO: /^RO\d{2,10}$/,
  SE: /^SE\d{12}$/,
  SI: /^SI\d{8}$/,
  SK: /^SK\d{10}$/
}
