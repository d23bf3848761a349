// The write ledger in process memory: entries keyed by what they match, keeping the latest expiry.
// Bounded (issue 9 #13): expired entries are swept as the ledger is written, and at most
// `maxObjects` objects are kept, least recently written dropped first. Losing an entry costs only
// echo detection (an extra read or write that changes nothing), never data.
import { Clock, Effect, Layer } from "effect"
import { type LedgerEntry, WriteLedger } from "../../application/ports/WriteLedger.ts"

const objectOf = (k: { readonly side: string; readonly objectKey: string }) => JSON.stringify([k.side, k.objectKey])
const entryOf = (e: LedgerEntry) => JSON.stringify([e.property, e.valueHash])

/** Objects kept by default: a day of a busy shop's writes, a few hundred MB at most. */
export const DEFAULT_MAX_OBJECTS = 100_000

/** Drops expired entries (and emptied objects). */
const sweep = (ledger: Map<string, Map<string, LedgerEntry>>, now: number) => {
  for (const [key, object] of ledger) {
    for (const [k, e] of object) if (e.expiresAt <= now) object.delete(k)
    if (object.size === 0) ledger.delete(key)
  }
}

export const makeBounded = (maxObjects: number) =>
  Effect.sync(() => {
    /** Per object, its entries by (property, valueHash); Map order is recency of writing. */
    const ledger = new Map<string, Map<string, LedgerEntry>>()
    let recordsSinceSweep = 0
    return WriteLedger.of({
      record: (entries) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          for (const e of entries) {
            const key = objectOf(e)
            const object = ledger.get(key) ?? new Map<string, LedgerEntry>()
            const previous = object.get(entryOf(e))
            if (previous === undefined || previous.expiresAt < e.expiresAt) object.set(entryOf(e), e)
            ledger.delete(key) // re-inserted last: most recently written
            ledger.set(key, object)
          }
          // A full sweep once per ~maxObjects written entries keeps the cost amortised O(1).
          recordsSinceSweep += entries.length
          if (recordsSinceSweep >= maxObjects) {
            recordsSinceSweep = 0
            sweep(ledger, now)
          }
          for (const key of ledger.keys()) {
            if (ledger.size <= maxObjects) break
            ledger.delete(key)
          }
        }),
      find: (keys, now) =>
        Effect.sync(() => [...new Set(keys.map(objectOf))].flatMap((key) => [...(ledger.get(key)?.values() ?? [])].filter((e) => e.expiresAt > now)))
    })
  })

export const make = makeBounded(DEFAULT_MAX_OBJECTS)

export const layer = Layer.effect(WriteLedger, make)
