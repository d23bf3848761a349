// Deliveries waiting for a step's batches, one FIFO per lane (issue 10). Each lane has its own
// intake loop, so a live batch never waits for a backfill batch to be gathered or handled; a
// backfill batch is only started when no live delivery waits, so live goes first.
import { Clock, Effect, Queue } from "effect"
import type { LaneName } from "../../application/Lane.ts"

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

export interface LaneBuffer<A> {
  readonly offer: (item: A) => void
  /**
   * Waits (interruptibly, through the mask's `restore`) until `lane` has a delivery (the backfill:
   * and live has none), then gathers up to `max` of that lane for up to `windowMs`. Nothing leaves
   * the buffer before the batch is returned, so an interrupted wait drops nothing. A backfill
   * batch that finds live deliveries waiting at the end of its window is not started.
   */
  readonly take: (lane: LaneName, max: number, windowMs: number, restore: Restore) => Effect.Effect<ReadonlyArray<A>>
  /** Takes out every waiting item `drop` picks (a released partition's), in order. */
  readonly remove: (drop: (item: A) => boolean) => ReadonlyArray<A>
  readonly size: (lane?: LaneName) => number
}

export const make = <A>(laneOf: (item: A) => LaneName): Effect.Effect<LaneBuffer<A>> =>
  Effect.gen(function* () {
    const lanes: Record<LaneName, Array<A>> = { live: [], backfill: [] }
    // One wake-up per lane, each taken by that lane's loop only: at most one is kept (dropping), so
    // a stale one costs a look, and one offered while the loop is busy is seen when it looks next.
    const wake: Record<LaneName, Queue.Queue<void>> = { live: yield* Queue.dropping<void>(1), backfill: yield* Queue.dropping<void>(1) }
    const signal = (lane: LaneName) => void Queue.offerUnsafe(wake[lane], undefined)
    const size = (lane?: LaneName) => (lane === undefined ? lanes.live.length + lanes.backfill.length : lanes[lane].length)
    const ready = (lane: LaneName) => lanes[lane].length > 0 && (lane === "live" || lanes.live.length === 0)

    const untilReady = (lane: LaneName): Effect.Effect<void> =>
      Effect.suspend(() => (ready(lane) ? Effect.void : Queue.take(wake[lane]).pipe(Effect.andThen(untilReady(lane)))))

    const take = (lane: LaneName, max: number, windowMs: number, restore: Restore) =>
      Effect.gen(function* () {
        while (true) {
          yield* restore(untilReady(lane))
          const deadline = (yield* Clock.currentTimeMillis) + windowMs
          while (lanes[lane].length < max) {
            const left = deadline - (yield* Clock.currentTimeMillis)
            if (left <= 0) break
            // Each offer wakes the lane: a full batch ends the window at once, without polling.
            yield* Effect.timeoutOption(Queue.take(wake[lane]), left)
          }
          if (!ready(lane)) continue
          const batch = lanes[lane].splice(0, Math.max(1, max))
          // The backfill may go once live is empty.
          if (lane === "live" && lanes.live.length === 0) signal("backfill")
          return batch
        }
      })

    const remove = (drop: (item: A) => boolean) => {
      const removed: Array<A> = []
      for (const lane of ["live", "backfill"] as const) {
        const kept: Array<A> = []
        for (const item of lanes[lane]) (drop(item) ? removed : kept).push(item)
        lanes[lane] = kept
      }
      if (removed.length > 0) signal("backfill")
      return removed
    }

    return {
      offer: (item: A) => {
        const lane = laneOf(item)
        lanes[lane].push(item)
        signal(lane)
      },
      take,
      remove,
      size
    } satisfies LaneBuffer<A>
  })
