// The pure parts of per-object partitioning: the hash and the assignment of indexes to replicas.
import { describe, expect, test } from "bun:test"
import { assignPartitions, fnv1a, partitionOf, partitionsOwnedBy } from "../../src/application/Partitioning.ts"

const members = (n: number, seed = "r") => Array.from({ length: n }, (_, i) => `${seed}-${i}-${fnv1a(`${seed}${i}`).toString(36)}`)
const ownerOf = (assignment: ReadonlyMap<string, ReadonlyArray<number>>) => {
  const owner = new Map<number, string>()
  for (const [member, indexes] of assignment) for (const k of indexes) owner.set(k, member)
  return owner
}
const moved = (a: ReadonlyMap<string, ReadonlyArray<number>>, b: ReadonlyMap<string, ReadonlyArray<number>>, partitions: number) => {
  const [x, y] = [ownerOf(a), ownerOf(b)]
  return Array.from({ length: partitions }, (_, k) => k).filter((k) => x.get(k) !== y.get(k)).length
}

describe("the partition hash", () => {
  test("is FNV-1a 32 bit (known vectors), so every runtime and replica agrees", () => {
    expect(fnv1a("")).toBe(0x811c9dc5)
    expect(fnv1a("a")).toBe(0xe40c292c)
    expect(fnv1a("foobar")).toBe(0xbf9cf968)
  })

  test("picks an index in range, the same for the same key, and spreads keys evenly", () => {
    const counts = Array.from({ length: 8 }, () => 0)
    for (let i = 0; i < 8000; i++) {
      const k = partitionOf(`user:u-${i}`, 8)
      expect(k).toBe(partitionOf(`user:u-${i}`, 8))
      counts[k] = (counts[k] ?? 0) + 1
    }
    for (const c of counts) expect(c).toBeGreaterThan(800)
    expect(partitionOf("anything", 1)).toBe(0)
  })
})

describe("assigning partition indexes to live replicas", () => {
  test("every index has exactly one owner, and no one holds more than ⌈N/n⌉", () => {
    for (const n of [1, 2, 3, 5, 8, 11]) {
      for (const partitions of [1, 4, 8, 16]) {
        const assignment = assignPartitions(members(n), partitions)
        const all = [...assignment.values()].flat().sort((a, b) => a - b)
        expect(all).toEqual(Array.from({ length: partitions }, (_, k) => k))
        for (const indexes of assignment.values()) expect(indexes.length).toBeLessThanOrEqual(Math.ceil(partitions / n))
      }
    }
  })

  test("is deterministic: the member list's order and duplicates do not matter", () => {
    const list = members(4)
    const a = assignPartitions(list, 8)
    const b = assignPartitions([...list].reverse().concat(list), 8)
    expect([...b].sort()).toEqual([...a].sort())
  })

  test("a replica joining or leaving moves few indexes (fewer than k mod n would)", () => {
    const partitions = 8
    let total = 0
    let worst = 0
    let trials = 0
    for (let seed = 0; seed < 50; seed++) {
      for (const n of [1, 2, 3, 4]) {
        const before = members(n, `s${seed}`)
        const joined = [...before, `joiner-${seed}`]
        const m = moved(assignPartitions(before, partitions), assignPartitions(joined, partitions), partitions)
        total += m
        worst = Math.max(worst, m)
        trials++
      }
    }
    // Minimal on average is N/(n+1) ≈ 2.6 here; `k mod n` moves ≈ 5.3 of 8.
    expect(total / trials).toBeLessThan(3.5)
    expect(worst).toBeLessThanOrEqual(5)
  })

  test("a replica counts itself in before its first heartbeat is read back", () => {
    expect(partitionsOwnedBy("solo", [], 4)).toEqual([0, 1, 2, 3])
    const pair = ["a", "b"]
    const mine = [...partitionsOwnedBy("a", pair, 8), ...partitionsOwnedBy("b", pair, 8)].sort((x, y) => x - y)
    expect(mine).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })
})
