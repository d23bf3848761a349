// Value transforms used by the correspondence table. Each one is a pair of pure functions, so the
// table yields both mapping directions and a property test can check that they invert each other.

import countries from "i18n-iso-countries"
import en from "i18n-iso-countries/langs/en.json" with { type: "json" }
import parsePhoneNumber from "libphonenumber-js/max"
import type { CrmProperties } from "./CrmProperties.ts"

countries.registerLocale(en)

export interface Transform {
  readonly name: string
  /** Commerce value → HubSpot property string. `source` is the whole commerce record. */
  readonly toCrm: (value: unknown, source: Readonly<Record<string, unknown>>) => string | null
  /** HubSpot property string → commerce value. `source` is the record's other properties. */
  readonly toCommerce: (value: string, source: CrmProperties) => unknown
}

export const text: Transform = {
  name: "text",
  toCrm: (value) => (value === null || value === undefined ? null : String(value)),
  toCommerce: (value) => value
}

/** Both sides keep E.164; anything unparsable passes through for validation to reject. */
export const normalisePhone = (value: string): string => {
  const parsed = parsePhoneNumber(value)
  return parsed?.isValid() ? parsed.number : value
}

export const phone: Transform = {
  name: "phone (E.164)",
  toCrm: (value) => (typeof value === "string" ? normalisePhone(value) : null),
  toCommerce: (value) => normalisePhone(value)
}

/** HubSpot's `country` is free text (a name); the commerce side keeps ISO 3166-1 alpha-2. */
export const country: Transform = {
  name: "country name ↔ ISO 3166-1 alpha-2",
  toCrm: (value) => (typeof value === "string" ? (countries.getName(value, "en") ?? value) : null),
  toCommerce: (value) => countries.getAlpha2Code(value, "en") ?? (countries.isValid(value) ? value.toUpperCase() : value)
}

export const isIsoCountry = (value: string): boolean => /^[A-Z]{2}$/.test(value) && countries.isValid(value)

const currencies = new Set(Intl.supportedValuesOf("currency"))
export const isIsoCurrency = (value: string): boolean => currencies.has(value)

/** Fraction digits of a currency (2 for EUR, 0 for JPY, 3 for BHD). */
export const minorDigits = (currency: string): number =>
  isIsoCurrency(currency) ? (new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2) : 2

/** Commerce integer minor units ↔ HubSpot decimal string, in the record's currency. */
export const money = (currencyOf: { commerce: string; crm: string }): Transform => ({
  name: "minor units ↔ decimal string",
  toCrm: (value, source) => {
    if (typeof value !== "number" || !Number.isInteger(value)) return null
    const digits = minorDigits(String(source[currencyOf.commerce] ?? ""))
    const sign = value < 0 ? "-" : ""
    const abs = Math.abs(value)
      .toString()
      .padStart(digits + 1, "0")
    return digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`
  },
  toCommerce: (value, source) => {
    const digits = minorDigits(source[currencyOf.crm] ?? "")
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim())
    if (match === null) return Number.NaN
    const fraction = (match[3] ?? "").padEnd(digits, "0").slice(0, digits)
    const minor = Number(`${match[2]}${fraction}`)
    return match[1] === "-" ? -minor : minor
  }
})

/** Commerce ISO-8601 instants ↔ HubSpot epoch-millisecond strings. */
export const epochMillis: Transform = {
  name: "ISO-8601 ↔ epoch milliseconds",
  toCrm: (value) => {
    if (typeof value !== "string") return null
    const ms = new Date(value).getTime()
    return Number.isNaN(ms) ? null : String(ms)
  },
  toCommerce: (value) => {
    const ms = /^-?\d+$/.test(value) ? Number(value) : new Date(value).getTime()
    // Out of Date's range (±8.64e15 ms) toISOString would throw: pass it on for validation to reject.
    return Number.isFinite(new Date(ms).getTime()) ? new Date(ms).toISOString() : value
  }
}

/** HubSpot's `hs_language` is lower-case ("en-us"); commerce keeps canonical BCP 47 ("en-US"). */
export const locale: Transform = {
  name: "BCP 47 locale",
  toCrm: (value) => (typeof value === "string" ? value.toLowerCase() : null),
  toCommerce: (value) => {
    try {
      return Intl.getCanonicalLocales(value)[0] ?? value
    } catch {
      return value
    }
  }
}

/** A one-to-one map between commerce and HubSpot enum values. */
export const enumeration = (pairs: Readonly<Record<string, string>>): Transform => {
  const reverse = Object.fromEntries(Object.entries(pairs).map(([commerce, crm]) => [crm, commerce]))
  return {
    name: `enum ${Object.entries(pairs)
      .map(([a, b]) => `${a}↔${b}`)
      .join(", ")}`,
    toCrm: (value) => (typeof value === "string" ? (pairs[value] ?? value) : null),
    toCommerce: (value) => reverse[value] ?? value
  }
}
