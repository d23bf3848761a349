// The deliveries a step has settled with an ack lately, in this process, so an exact copy that comes
// round again is acked without running the handler twice. Copies arise where the bus is at least
// once: the partitioner forwards an intake message to its partition queue and is killed before
// its ack, so the intake redelivers it and a second copy lands behind newer messages of the same
// object. The shop's versions have second precision, so flow C cannot tell that copy from news:
// handled again, it wrote an older value over a newer one (the replica test, SIGKILL case).
// A copy is the same id, attempt and payload: a retry tier's copy (attempt + 1), a replay and a
// different message under a reused id (ids assigned again after a merge) all run as before.
import type { Envelope } from "./Step.ts"
import { valueHash } from "./ValueHash.ts"

/** Long enough for a redelivery after a replica's death and a hand-over; short enough to hold few. */
const KEEP_MS = 10 * 60_000
const MAX_KEPT = 100_000

export interface HandledDeliveries {
  readonly seen: (envelope: Envelope, now: number) => boolean
  readonly remember: (envelopes: ReadonlyArray<Envelope>, now: number) => void
}

const keyOf = (e: Envelope) => `${e.id}#${e.attempt}#${valueHash(e.payload)}`

export const handledDeliveries = (): HandledDeliveries => {
  // Insertion order is time order: the oldest entries are dropped from the front.
  const kept = new Map<string, number>()
  const prune = (now: number) => {
    for (const [key, at] of kept) {
      if (at > now - KEEP_MS && kept.size <= MAX_KEPT) break
      kept.delete(key)
    }
  }
  return {
    seen: (envelope, now) => {
      const at = kept.get(keyOf(envelope))
      return at !== undefined && at > now - KEEP_MS
    },
    remember: (envelopes, now) => {
      for (const e of envelopes) {
        const key = keyOf(e)
        kept.delete(key)
        kept.set(key, now)
      }
      prune(now)
    }
  }
}
