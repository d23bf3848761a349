// A tracer that adds up the wall time of every span by name and logs the running totals every
// few seconds ("span profile"): where a backfill page's time goes (HubSpot calls, waiting on the
// budget, store operations, publishes), measured rather than guessed. Off unless PROFILE_SPANS
// is set; nested spans count in their own name and in every enclosing one.
// Spans of work in a lane (the `lane` span annotation the step runner, the relay and the backfill
// pages set) are also counted per lane, with their slowest durations: what live sync waits on
// while a backfill runs shows apart from the backfill's own time.
import { Effect, Layer, Tracer } from "effect"

export interface Total {
  count: number
  ms: number
  /** The slowest durations seen (ms), up to SLOWEST kept: their p99 and max tell where a tail comes from. */
  slowest: Array<number>
}

const SLOWEST = 50

const keep = (t: Total, ms: number) => {
  if (t.slowest.length < SLOWEST) t.slowest.push(ms)
  else {
    const least = Math.min(...t.slowest)
    if (ms <= least) return
    t.slowest[t.slowest.indexOf(least)] = ms
  }
}

const add = (totals: Map<string, Total>, key: string, ms: number) => {
  const t = totals.get(key) ?? { count: 0, ms: 0, slowest: [] }
  t.count += 1
  t.ms += ms
  keep(t, ms)
  totals.set(key, t)
}

/** The key a span of `lane` counts under beside its own name: `name [lane]`. */
export const laneKey = (name: string, lane: string) => `${name} [${lane}]`

/** A tracer that adds each ended span's wall time to `totals` under its name (and its lane's key); `onEnd` after each. */
export const totalsTracer = (totals: Map<string, Total>, onEnd: () => void = () => undefined) =>
  Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      const end = span.end.bind(span)
      span.end = (endTime, exit) => {
        end(endTime, exit)
        const ms = Number(endTime - span.startTime) / 1e6
        add(totals, span.name, ms)
        const lane = span.attributes.get("lane")
        if (typeof lane === "string") add(totals, laneKey(span.name, lane), ms)
        onEnd()
      }
      return span
    }
  })

/** The p-th percentile of a span's durations, when its slowest kept ones reach that far; else the smallest kept. */
const tail = (t: Total, p: number) => {
  const sorted = [...t.slowest].sort((a, b) => b - a)
  const rank = Math.floor((t.count * (100 - p)) / 100)
  return sorted[Math.min(rank, sorted.length - 1)] ?? 0
}

export const layer = (everyMs: number) => {
  const totals = new Map<string, Total>()
  let changed = false
  const tracer = totalsTracer(totals, () => {
    changed = true
  })
  const report = Effect.suspend(() => {
    if (!changed) return Effect.void
    changed = false
    const spans = Object.fromEntries(
      [...totals].map(([name, t]) => [name, { count: t.count, ms: Math.round(t.ms), p99: Math.round(tail(t, 99)), max: Math.round(Math.max(0, ...t.slowest)) }])
    )
    return Effect.logInfo("span profile").pipe(Effect.annotateLogs({ spans }))
  })
  const reporter = Layer.effectDiscard(Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(everyMs), report))))
  return Layer.merge(Layer.succeed(Tracer.Tracer, tracer), reporter)
}
