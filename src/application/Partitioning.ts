// Per-object order across replicas (issue 12): every partitioned step's work is split into N
// partitions by a key both directions share for one linked pair of records, and one replica at a
// time owns each partition index. These are the pure parts: the hash that picks a partition and
// the assignment of indexes to the live replicas.

/** FNV-1a, 32 bit, over the key's UTF-8 bytes: stable across processes, runtimes and restarts. */
export const fnv1a = (key: string): number => {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/** The partition index of a key, in [0, partitions). */
export const partitionOf = (key: string, partitions: number): number => fnv1a(key) % Math.max(1, partitions)

/** Murmur3's finaliser: FNV-1a of keys that differ in their last byte alone stays correlated. */
const mixed = (h: number): number => {
  let x = h
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * Which indexes each live member owns: balanced (no member gets more than ⌈N/n⌉) and
 * deterministic (every replica computing it from the same member list agrees). Every (member,
 * index) pair has a rendezvous score; pairs are taken best score first while the index is free and
 * the member has room. A member joining or leaving changes few pairs' fate, so few indexes move,
 * not most of them as `k mod n` would.
 */
export const assignPartitions = (members: ReadonlyArray<string>, partitions: number): ReadonlyMap<string, ReadonlyArray<number>> => {
  const live = [...new Set(members)].sort()
  const owned = new Map<string, Array<number>>(live.map((m) => [m, []]))
  if (live.length === 0) return owned
  const room = Math.ceil(partitions / live.length)
  const pairs = live.flatMap((member) => Array.from({ length: partitions }, (_, k) => ({ member, k, score: mixed(fnv1a(`${member}#${k}`)) })))
  pairs.sort((a, b) => b.score - a.score || a.k - b.k || (a.member < b.member ? -1 : 1))
  const taken = new Set<number>()
  for (const { member, k } of pairs) {
    const mine = owned.get(member) as Array<number>
    if (taken.has(k) || mine.length >= room) continue
    taken.add(k)
    mine.push(k)
  }
  for (const mine of owned.values()) mine.sort((a, b) => a - b)
  return owned
}

/** The indexes `self` owns among `members` (itself included even before its first heartbeat lands). */
export const partitionsOwnedBy = (self: string, members: ReadonlyArray<string>, partitions: number): ReadonlyArray<number> =>
  assignPartitions([...members, self], partitions).get(self) ?? []
