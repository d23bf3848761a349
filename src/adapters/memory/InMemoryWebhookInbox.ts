// WebhookInbox in process memory, with the Mongo adapter's semantics: dedupe while pending and for
// a window after publication, one relay lease numbered by epoch, published events deleted and their
// keys evicted after the window (so the default `bun start` does not grow). JavaScript runs one
// synchronous block at a time, so each method is atomic.
import { Clock, Effect, Layer } from "effect"
import type { StoredQuarantine } from "../../application/ports/WebhookInbox.ts"
import { concerns, type PendingEvent, pendingForCap, WebhookInbox } from "../../application/ports/WebhookInbox.ts"

interface Lease {
  readonly epoch: number
  readonly claimant: string
  readonly until: number
}

export const byAge = (a: PendingEvent, b: PendingEvent): number =>
  a.receivedAt - b.receivedAt || (a.change.key < b.change.key ? -1 : a.change.key > b.change.key ? 1 : 0)

/** Quarantined payloads are kept up to this many, newest last: a human reads them, a loop must not fill memory. */
const quarantineCap = 1000

/**
 * Published keys kept at most (issue 9 #13), whatever the rate: past it the oldest go early, and a
 * redelivery of one of those would be stored again (a duplicate the flows absorb), never lost.
 */
export const PUBLISHED_KEYS_CAP = 200_000

/** Evicts keys whose window ended, then the oldest beyond the cap; they were added in time order. */
const evict = (published: Map<string, number>, now: number, cap: number) => {
  for (const [key, expiresAt] of published) {
    if (expiresAt > now && published.size <= cap) return
    published.delete(key)
  }
}

export const make = (dedupeWindowMs = 60 * 60_000, publishedCap = PUBLISHED_KEYS_CAP) =>
  Effect.sync(() => {
    const pending = new Map<string, PendingEvent>()
    /** Key → when a redelivery stops being a duplicate. */
    const published = new Map<string, number>()
    const quarantined: Array<StoredQuarantine> = []
    let nextQuarantineId = 0
    let lease: Lease = { epoch: 0, claimant: "", until: 0 }

    return WebhookInbox.of({
      store: (changes, receivedAt) =>
        Effect.sync(() => {
          let stored = 0
          for (const change of changes) {
            if (pending.has(change.key) || (published.get(change.key) ?? 0) > receivedAt) continue
            pending.set(change.key, { change, receivedAt })
            stored++
          }
          return { stored, duplicates: changes.length - stored }
        }),
      quarantine: (payloads) =>
        Effect.sync(() => {
          quarantined.push(...payloads.map((p) => ({ ...p, id: `q${++nextQuarantineId}` })))
          quarantined.splice(0, Math.max(0, quarantined.length - quarantineCap))
        }),
      claim: ({ limit, claimant, now, leaseMs, receivedBy }) =>
        Effect.sync(() => {
          const due = [...pending.values()].filter((e) => receivedBy === undefined || e.receivedAt <= receivedBy)
          if (due.length === 0 || (lease.claimant !== claimant && lease.until > now)) return { lease: "", events: [] }
          lease = { epoch: lease.epoch + 1, claimant, until: now + leaseMs }
          return { lease: String(lease.epoch), events: due.sort(byAge).slice(0, limit) }
        }),
      markPublished: (batch) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          for (const event of batch.events) {
            pending.delete(event.change.key)
            published.delete(event.change.key) // re-added last, keeping the map in expiry order
            published.set(event.change.key, now + dedupeWindowMs)
          }
          evict(published, now, publishedCap)
          if (String(lease.epoch) === batch.lease) lease = { ...lease, until: 0 }
        }),
      backlog: Effect.sync(() => {
        let oldest: number | undefined
        for (const event of pending.values()) oldest = oldest === undefined ? event.receivedAt : Math.min(oldest, event.receivedAt)
        return { pending: pending.size, oldestReceivedAt: oldest }
      }),
      pendingFor: (objectType, objectIds) =>
        Effect.sync(() => {
          const wanted = concerns(objectType, objectIds)
          return [...pending.values()]
            .filter((e) => wanted(e.change))
            .sort(byAge)
            .slice(0, pendingForCap)
        }),
      quarantined: Effect.sync(() => [...quarantined]),
      release: (ids) =>
        Effect.sync(() => {
          const gone = new Set(ids)
          const kept = quarantined.filter((q) => !gone.has(q.id))
          quarantined.splice(0, quarantined.length, ...kept)
        })
    })
  })

export const layer = Layer.effect(WebhookInbox, make())
