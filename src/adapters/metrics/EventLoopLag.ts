// How late the process's timers fire. Work that holds the event loop in one go (a page of
// records parsed, mapped or encoded at once) delays every live message queued behind it, and no
// span shows it: each span only starts once the loop is free again.
import { Clock, Effect, Layer } from "effect"
import { Metrics } from "../../application/ports/Metrics.ts"

/** Short enough to catch a 50 ms stall, long enough to cost nothing (50 wake-ups a second). */
export const TICK_MS = 20

/** Records each tick's lateness in `event_loop_lag_seconds` until the scope closes. */
export const layer = (tickMs = TICK_MS) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const metrics = yield* Metrics
      let last = yield* Clock.currentTimeMillis
      const tick = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const lag = Math.max(0, now - last - tickMs)
        last = now
        return metrics.observe("event_loop_lag_seconds", [lag / 1000])
      })
      yield* Effect.forkScoped(Effect.forever(Effect.delay(tick, tickMs)))
    })
  )
