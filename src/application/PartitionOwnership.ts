// Which partition indexes this replica consumes (issue 12): it beats its heartbeat, reads the
// live replicas and takes the share the assignment gives it, every second. The bus releases an
// index gracefully (in-flight batches settled first) and the broker's single active consumer
// keeps two replicas that briefly disagree from consuming one partition at once. Closing the
// layer (SIGTERM) releases every index, then leaves, so the others take over within a beat.
import { Cause, Clock, Duration, Effect, Layer } from "effect"
import { partitionsOwnedBy } from "./Partitioning.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { ReplicaMembership } from "./ports/ReplicaMembership.ts"

export interface OwnershipOptions {
  readonly replica: string
  /** How often the replica beats and re-evaluates its share. */
  readonly intervalMs: number
  /** A replica that has not beaten for this long is taken for dead and its indexes move. */
  readonly ttlMs: number
}

export const defaultOwnership = { intervalMs: 1_000, ttlMs: 5_000 } as const

/** One round: beat, read the live replicas, take this replica's share. Returns it. */
export const rebalance = Effect.fn("PartitionOwnership.rebalance")(function* (options: OwnershipOptions) {
  const membership = yield* ReplicaMembership
  const bus = yield* MessageBus
  const now = yield* Clock.currentTimeMillis
  yield* membership.beat({ replica: options.replica, now, ttlMs: options.ttlMs })
  const live = yield* membership.live(now)
  const mine = partitionsOwnedBy(options.replica, live, bus.partitions)
  yield* bus.assign(mine)
  return mine
})

/**
 * Rebalances every interval for the lifetime of the layer. While the store is unreachable the
 * replica keeps what it holds (the others may take its indexes once its heartbeat expires; their
 * consumers wait as standbys until it lets go), and a failed round is logged and tried again.
 */
export const layer = (options: OwnershipOptions) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const membership = yield* ReplicaMembership
      const round = rebalance(options).pipe(
        Effect.catchCause((cause) => Effect.logWarning("partition rebalance failed; keeping the partitions held", Cause.pretty(cause)))
      )
      yield* Effect.addFinalizer(() =>
        Effect.logInfo("releasing every partition").pipe(
          Effect.andThen(bus.assign([])),
          Effect.andThen(Effect.ignore(membership.leave(options.replica))),
          Effect.andThen(Effect.logInfo("partitions released"))
        )
      )
      yield* round
      yield* Effect.forkScoped(Effect.forever(Effect.sleep(Duration.millis(options.intervalMs)).pipe(Effect.andThen(round))))
    })
  )
