// Live sync goes first inside a process at every hop, not only at HubSpot's budget: while live
// work runs, the backfill lane's next store, broker, HubSpot and shop operations wait for it. A
// live change otherwise queued behind the backfill's writes in the store, its publishes in the
// broker, its calls in HubSpot and the shop and its CPU in this event loop (bench:backfill: live
// p50 170 → 106 ms and p99 755 → 476 ms during a backfill, the backfill as fast).
import { Clock, Context, Effect, Latch, Layer } from "effect"
import { Lane } from "./Lane.ts"
import { Metrics } from "./ports/Metrics.ts"

export interface LiveGate {
  /** Runs live work: until it ends, the backfill lane's operations wait at `turn`. */
  readonly running: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Returns once no live work runs, or after the gate's longest wait. */
  readonly turn: Effect.Effect<void>
}

/** No gate: every lane runs at once (tests and tools that run no backfill beside live sync). */
const open: LiveGate = { running: (self) => self, turn: Effect.void }

/** A Reference with the open gate as default: the service provides a closing one (`layer`). */
export const LiveFirst = Context.Reference<LiveGate>("crm-sync/application/LiveFirst", { defaultValue: () => open })

/**
 * `maxWaitMs` bounds one operation's wait, so a flood of live work slows the backfill and never
 * stops it (the budget still grants the backfill its share of HubSpot's calls); 0 is no gate.
 */
export const make = Effect.fn("LiveFirst.make")(function* (maxWaitMs: number) {
  if (maxWaitMs <= 0) return open
  const idle = yield* Latch.make(true)
  let live = 0
  const enter = Effect.sync(() => {
    if (live++ === 0) idle.closeUnsafe()
  })
  const leave = Effect.sync(() => {
    if (--live === 0) idle.openUnsafe()
  })
  const wait = Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    yield* Effect.timeoutOption(idle.await, maxWaitMs)
    const waited = (yield* Clock.currentTimeMillis) - startedAt
    yield* Effect.flatMap(Effect.service(Metrics), (metrics) => metrics.observe("backfill_yield_seconds", [waited / 1000]))
  })
  return {
    running: (self) =>
      Effect.acquireUseRelease(
        enter,
        () => self,
        () => leave
      ),
    turn: Effect.suspend(() => (idle.isOpen() ? Effect.void : wait))
  } satisfies LiveGate
})

export const layer = (maxWaitMs: number) => Layer.effect(LiveFirst, make(maxWaitMs))

/** What a store, broker, HubSpot or shop adapter runs before an operation: the backfill lane waits its turn. */
export const liveFirst: Effect.Effect<void> = Effect.flatMap(Effect.service(Lane), (lane) =>
  lane === "backfill" ? Effect.flatMap(Effect.service(LiveFirst), (gate) => gate.turn) : Effect.void
)

/** Runs `self` as live work of this process's gate. */
export const asLive = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => Effect.flatMap(Effect.service(LiveFirst), (gate) => gate.running(self))
