// Values kept in key order for the simulators' paging, in chunks of at most `maxChunk`: an insert,
// a delete or a seek is a binary search over the chunks, one within a chunk and a splice of at
// most `maxChunk` entries, so it costs the same at 400 000 entries as at 40 (a sorted array pays a
// shift of the whole array per insert, a re-sort per page pays N log N).
export class SortedList<K, V> {
  private chunks: Array<Array<V>> = []
  private count = 0

  constructor(
    private readonly keyOf: (value: V) => K,
    private readonly compare: (a: K, b: K) => number,
    private readonly maxChunk = 512
  ) {}

  get size(): number {
    return this.count
  }

  clear(): void {
    this.chunks = []
    this.count = 0
  }

  /** Inserts `value`, or replaces the value held under an equal key. */
  set(value: V): void {
    const key = this.keyOf(value)
    const last = this.chunks.at(-1)
    // Fast path: HubSpot hands out increasing ids, so most inserts append.
    if (last === undefined || this.compare(this.keyOf(last[last.length - 1] as V), key) < 0) {
      if (last === undefined || last.length >= this.maxChunk) this.chunks.push([value])
      else last.push(value)
      this.count++
      return
    }
    const c = this.chunkFor(key)
    const chunk = this.chunks[c] as Array<V>
    const i = this.indexIn(chunk, key)
    if (i < chunk.length && this.compare(this.keyOf(chunk[i] as V), key) === 0) {
      chunk[i] = value
      return
    }
    chunk.splice(i, 0, value)
    this.count++
    if (chunk.length > this.maxChunk) this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >> 1))
  }

  get(key: K): V | undefined {
    const c = this.chunkFor(key)
    const chunk = this.chunks[c]
    if (chunk === undefined) return undefined
    const found = chunk[this.indexIn(chunk, key)]
    return found !== undefined && this.compare(this.keyOf(found), key) === 0 ? found : undefined
  }

  delete(key: K): boolean {
    const c = this.chunkFor(key)
    const chunk = this.chunks[c]
    if (chunk === undefined) return false
    const i = this.indexIn(chunk, key)
    const found = chunk[i]
    if (found === undefined || this.compare(this.keyOf(found), key) !== 0) return false
    chunk.splice(i, 1)
    if (chunk.length === 0) this.chunks.splice(c, 1)
    this.count--
    return true
  }

  /** Values in key order from the first key at or after `key` (after it when `exclusive`); all of them without a key. */
  *from(key?: K, exclusive = false): Generator<V, void, undefined> {
    let c = key === undefined ? 0 : this.chunkFor(key)
    let i = key === undefined ? 0 : this.indexIn(this.chunks[c] ?? [], key)
    if (key !== undefined && exclusive) {
      const at = this.chunks[c]?.[i]
      if (at !== undefined && this.compare(this.keyOf(at), key) === 0) i++
    }
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c] as Array<V>
      for (; i < chunk.length; i++) yield chunk[i] as V
    }
  }

  /** How many values have a key before `key`: a sum over the chunks, not a walk over the values. */
  rank(key: K): number {
    const c = this.chunkFor(key)
    let before = 0
    for (let i = 0; i < c; i++) before += (this.chunks[i] as Array<V>).length
    return before + this.indexIn(this.chunks[c] ?? [], key)
  }

  values(): Array<V> {
    return this.chunks.flat()
  }

  /** The first chunk whose last key is at or after `key` (the chunk count when none is). */
  private chunkFor(key: K): number {
    let lo = 0
    let hi = this.chunks.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const chunk = this.chunks[mid] as Array<V>
      if (this.compare(this.keyOf(chunk[chunk.length - 1] as V), key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The first index in `chunk` whose key is at or after `key`. */
  private indexIn(chunk: ReadonlyArray<V>, key: K): number {
    let lo = 0
    let hi = chunk.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.compare(this.keyOf(chunk[mid] as V), key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
