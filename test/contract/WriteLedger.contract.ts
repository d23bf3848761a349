// The WriteLedger contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type LedgerEntry, WriteLedger } from "../../src/application/ports/WriteLedger.ts"
import { portRunner } from "./runPort.ts"

const anEntry = (objectKey: string, property: string, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  side: "crm",
  objectKey,
  property,
  valueHash: `h-${objectKey}-${property}`,
  expiresAt: 5000,
  ...over
})
const sorted = (entries: ReadonlyArray<LedgerEntry>) =>
  [...entries].sort((a, b) =>
    JSON.stringify([a.side, a.objectKey, a.property, a.valueHash]).localeCompare(JSON.stringify([b.side, b.objectKey, b.property, b.valueHash]))
  )

export const writeLedgerContract = (name: string, makeLayer: () => Layer.Layer<WriteLedger, unknown>): void => {
  const run = portRunner(WriteLedger, makeLayer)

  describe(`WriteLedger contract: ${name}`, () => {
    test("records many entries at once and finds those of the asked objects", async () => {
      const entries = Array.from({ length: 40 }, (_, i) => anEntry(`company:${i % 10}`, `p${i}`))
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.record(entries)
          yield* l.record([anEntry("company:1", "name", { side: "commerce" })])
          yield* l.record([])
          return {
            found: yield* l.find(
              [
                { side: "crm", objectKey: "company:1" },
                { side: "crm", objectKey: "company:2" },
                { side: "crm", objectKey: "nobody" }
              ],
              10
            ),
            commerce: yield* l.find([{ side: "commerce", objectKey: "company:1" }], 10),
            none: yield* l.find([], 10)
          }
        })
      )
      expect(sorted(out.found)).toEqual(sorted(entries.filter((e) => e.objectKey === "company:1" || e.objectKey === "company:2")))
      expect(out.commerce).toEqual([anEntry("company:1", "name", { side: "commerce" })])
      expect(out.none).toEqual([])
    })

    test("entries expire: found before expiresAt, gone from it on", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.record([anEntry("company:1", "name", { expiresAt: 5000 }), anEntry("company:1", "city", { expiresAt: 9000 })])
          const key = [{ side: "crm" as const, objectKey: "company:1" }]
          return { before: yield* l.find(key, 4999), at: yield* l.find(key, 5000), after: yield* l.find(key, 9000) }
        })
      )
      expect(out.before.map((e) => e.property).sort()).toEqual(["city", "name"])
      expect(out.at.map((e) => e.property)).toEqual(["city"])
      expect(out.after).toEqual([])
    })

    test("recording the same write again extends it", async () => {
      const out = await run((l) =>
        Effect.gen(function* () {
          yield* l.record([anEntry("company:1", "name", { expiresAt: 5000 })])
          yield* l.record([anEntry("company:1", "name", { expiresAt: 8000 })])
          return yield* l.find([{ side: "crm", objectKey: "company:1" }], 6000)
        })
      )
      expect(out.map((e) => [e.property, e.valueHash, e.expiresAt > 6000])).toEqual([["name", "h-company:1-name", true]])
    })
  })
}
