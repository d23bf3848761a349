// ObjectLeases in process memory: one process is one replica, so this only keeps two batches of
// one process apart; the Mongo adapter is what serialises replicas. Released leases are deleted.
import { Effect, Layer } from "effect"
import { ObjectLeases } from "../../application/ports/ObjectLeases.ts"

export const make = Effect.sync(() => {
  const held = new Map<string, { readonly holder: string; readonly until: number }>()
  return ObjectLeases.of({
    take: ({ keys, holder, now, leaseMs }) =>
      Effect.sync(() => {
        const taken = new Set<string>()
        for (const key of new Set(keys)) {
          const lease = held.get(key)
          if (lease !== undefined && lease.until > now) continue
          held.set(key, { holder, until: now + leaseMs })
          taken.add(key)
        }
        return taken
      }),
    release: (keys, holder) =>
      Effect.sync(() => {
        for (const key of keys) if (held.get(key)?.holder === holder) held.delete(key)
      })
  })
})

export const layer = Layer.effect(ObjectLeases, make)
