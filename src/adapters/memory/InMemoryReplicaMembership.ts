// ReplicaMembership in process memory: one process, so one member (tests may add more).
import { Effect, Layer } from "effect"
import { ReplicaMembership } from "../../application/ports/ReplicaMembership.ts"

export const make = Effect.sync(() => {
  const expiries = new Map<string, number>()
  return ReplicaMembership.of({
    beat: ({ replica, now, ttlMs }) => Effect.sync(() => void expiries.set(replica, now + ttlMs)),
    live: (now) =>
      Effect.sync(() =>
        [...expiries]
          .filter(([, until]) => until > now)
          .map(([replica]) => replica)
          .sort()
      ),
    leave: (replica) => Effect.sync(() => void expiries.delete(replica))
  })
})

export const layer = Layer.effect(ReplicaMembership, make)
