// SortedList (the simulators' ordered index) holds what a sorted array of the same inserts and
// deletes would, and seeks as a filter of it would, across chunk splits and emptied chunks.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { SortedList } from "../support/SortedList.ts"

type Entry = { readonly key: number; readonly tag: number }
type Op = { readonly kind: "set"; readonly key: number; readonly tag: number } | { readonly kind: "delete"; readonly key: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 60 }), tag: fc.nat(9) }),
  fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 60 }), tag: fc.nat(9) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 60 }) })
)

describe("SortedList", () => {
  test("holds and seeks like a sorted array", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 2, max: 6 }), (ops, maxChunk) => {
        const list = new SortedList<number, Entry>(
          (e) => e.key,
          (a, b) => a - b,
          maxChunk
        )
        const model = new Map<number, Entry>()
        for (const o of ops) {
          if (o.kind === "set") {
            list.set({ key: o.key, tag: o.tag })
            model.set(o.key, { key: o.key, tag: o.tag })
          } else expect(list.delete(o.key)).toBe(model.delete(o.key))
        }
        const sorted = [...model.values()].sort((a, b) => a.key - b.key)
        expect(list.values()).toEqual(sorted)
        expect(list.size).toBe(sorted.length)
        expect([...list.from()]).toEqual(sorted)
        for (let k = -1; k <= 61; k++) {
          expect(list.get(k)).toEqual(model.get(k))
          expect([...list.from(k)]).toEqual(sorted.filter((e) => e.key >= k))
          expect([...list.from(k, true)]).toEqual(sorted.filter((e) => e.key > k))
        }
      }),
      { numRuns: 300 }
    )
  })

  test("clear empties it", () => {
    const list = new SortedList<string, string>(
      (s) => s,
      (a, b) => (a < b ? -1 : a > b ? 1 : 0)
    )
    for (const s of ["b", "a", "c"]) list.set(s)
    expect(list.values()).toEqual(["a", "b", "c"])
    list.clear()
    expect(list.values()).toEqual([])
    expect(list.size).toBe(0)
  })
})
