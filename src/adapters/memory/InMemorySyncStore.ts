// SyncStore in process memory, with the same semantics as MongoSyncStore (unique dedupe key,
// leased claims, parked items upserted by id). JavaScript runs one synchronous block at a time,
// so each method body is as atomic as one Mongo document op.
import { Effect, Layer } from "effect"
import type { CrmChange } from "../../domain/CrmChange.ts"
import { type ParkedItem, SyncStore } from "../../application/ports/SyncStore.ts"
import { matchesParked } from "./InMemoryParkedItems.ts"

interface InboxEntry {
  readonly change: CrmChange
  readonly receivedAt: number
  status: "pending" | "published"
  leaseUntil: number | undefined
}

export const make = Effect.sync(() => {
  const inbox = new Map<string, InboxEntry>()
  const quarantined: Array<{ body: string; reason: string; receivedAt: number }> = []
  const parked = new Map<string, ParkedItem>()

  return SyncStore.of({
    storeChanges: (changes, receivedAt) =>
      Effect.sync(() => {
        let stored = 0
        for (const change of changes) {
          if (inbox.has(change.key)) continue
          inbox.set(change.key, { change, receivedAt, status: "pending", leaseUntil: undefined })
          stored++
        }
        return { stored, duplicates: changes.length - stored }
      }),
    quarantine: (body, reason, receivedAt) => Effect.sync(() => void quarantined.push({ body, reason, receivedAt })),
    claimPending: (limit, _claimant, now, leaseMs) =>
      Effect.sync(() => {
        const claimed: Array<{ change: CrmChange; receivedAt: number }> = []
        for (const entry of inbox.values()) {
          if (claimed.length >= limit) break
          if (entry.status !== "pending" || (entry.leaseUntil !== undefined && entry.leaseUntil > now)) continue
          entry.leaseUntil = now + leaseMs
          claimed.push({ change: entry.change, receivedAt: entry.receivedAt })
        }
        return claimed
      }),
    markPublished: (keys) =>
      Effect.sync(() => {
        for (const key of keys) {
          const entry = inbox.get(key)
          if (entry !== undefined) entry.status = "published"
        }
      }),
    countPending: Effect.sync(() => [...inbox.values()].filter((e) => e.status === "pending").length),

    park: (item) => Effect.sync(() => void parked.set(item.id, item)),
    listParked: (filter) =>
      Effect.sync(() => [...parked.values()].filter(matchesParked(filter)).sort((a, b) => a.lastFailedAt - b.lastFailedAt)),
    markReplayed: (ids, at) =>
      Effect.sync(() => {
        for (const id of ids) {
          const item = parked.get(id)
          if (item !== undefined) parked.set(id, { ...item, replayedAt: at })
        }
      })
  })
})

export const layer = Layer.effect(SyncStore, make)
