// How late this process's timers fire: the bench hosts both simulators and the live probes, so
// while the simulators serve a backfill, a live sample's end-to-end time includes this lag.
import { percentile } from "../../test/support/chaos/Percentiles.ts"

const TICK_MS = 10

/** Samples the event loop's lag until stopped; returns its p50, p99 and max (ms). */
export const watchLoopLag = () => {
  const lags: Array<number> = []
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    lags.push(Math.max(0, now - last - TICK_MS))
    last = now
  }, TICK_MS)
  return () => {
    clearInterval(timer)
    return { p50: percentile(lags, 50) ?? 0, p99: percentile(lags, 99) ?? 0, max: Math.max(0, ...lags) }
  }
}

export const describeLag = (lag: ReturnType<ReturnType<typeof watchLoopLag>>) =>
  `p50 ${lag.p50.toFixed(0)}, p99 ${lag.p99.toFixed(0)}, max ${lag.max.toFixed(0)} ms`
