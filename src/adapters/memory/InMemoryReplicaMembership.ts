// ReplicaMembership in process memory: one process, so one member (tests may add more).
import { Effect, Layer } from "effect"
import type { LaneName } from "../../application/Lane.ts"
import { ReplicaMembership } from "../../application/ports/ReplicaMembership.ts"

export const make = Effect.sync(() => {
  const entries = new Map<string, { readonly until: number; readonly lanes: ReadonlyArray<LaneName> }>()
  return ReplicaMembership.of({
    beat: ({ replica, lanes, now, ttlMs }) => Effect.sync(() => void entries.set(replica, { until: now + ttlMs, lanes })),
    live: (now, lane) =>
      Effect.sync(() =>
        [...entries]
          .filter(([, { until, lanes }]) => until > now && lanes.includes(lane))
          .map(([replica]) => replica)
          .sort()
      ),
    leave: (replica) => Effect.sync(() => void entries.delete(replica))
  })
})

export const layer = Layer.effect(ReplicaMembership, make)
