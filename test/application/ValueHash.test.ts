// The ledger's fingerprints are stored: the one-loop hash must give the two-pass hash's answers,
// or entries written before an upgrade would no longer match their echoes.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { valueHash } from "../../src/application/ValueHash.ts"

/** The two-pass FNV-1a it replaced, as it was. */
const fnv1a = (text: string, offset: number): string => {
  let hash = offset
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}
const twoPass = (value: unknown): string => {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null)
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x01000193)
}

describe("valueHash", () => {
  test("gives the two-pass hash for any value", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.jsonValue(), fc.constant(undefined)), (v) =>
        expect(valueHash(v)).toBe(twoPass(v))
      ),
      {
        numRuns: 3000
      }
    )
  })

  test("known values stay as stored", () => {
    expect(valueHash("")).toBe("811c9dc501000193")
    expect(valueHash(null)).toBe(valueHash(undefined))
    expect(valueHash("a")).toBe(twoPass("a"))
    expect(valueHash("a")).toHaveLength(16)
  })
})
