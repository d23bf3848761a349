// A short, stable fingerprint of a written value for the echo ledger. Two FNV-1a passes with
// different offsets give 64 bits: ample for telling our own recent writes from someone else's.
const fnv1a = (text: string, offset: number): string => {
  let hash = offset
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}

export const valueHash = (value: unknown): string => {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null)
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x01000193)
}
