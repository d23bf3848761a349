// The write ledger in process memory: entries keyed by what they match, keeping the latest expiry.
import { Effect, Layer } from "effect"
import { type LedgerEntry, WriteLedger } from "../../application/ports/WriteLedger.ts"

const objectOf = (k: { readonly side: string; readonly objectKey: string }) => JSON.stringify([k.side, k.objectKey])
const entryOf = (e: LedgerEntry) => JSON.stringify([e.property, e.valueHash])

export const make = Effect.sync(() => {
  /** Per object, its entries by (property, valueHash). */
  const ledger = new Map<string, Map<string, LedgerEntry>>()
  return WriteLedger.of({
    record: (entries) =>
      Effect.sync(() => {
        for (const e of entries) {
          const object = ledger.get(objectOf(e)) ?? new Map<string, LedgerEntry>()
          const previous = object.get(entryOf(e))
          if (previous === undefined || previous.expiresAt < e.expiresAt) object.set(entryOf(e), e)
          ledger.set(objectOf(e), object)
        }
      }),
    find: (keys, now) =>
      Effect.sync(() =>
        [...new Set(keys.map(objectOf))].flatMap((key) => [...(ledger.get(key)?.values() ?? [])].filter((e) => e.expiresAt > now))
      )
  })
})

export const layer = Layer.effect(WriteLedger, make)
