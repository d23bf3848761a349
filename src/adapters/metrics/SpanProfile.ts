// A tracer that adds up the wall time of every span by name and logs the running totals every
// few seconds ("span profile"): where a backfill page's time goes (HubSpot calls, waiting on the
// budget, store operations, publishes), measured rather than guessed. Off unless PROFILE_SPANS
// is set; nested spans count in their own name and in every enclosing one.
import { Effect, Layer, Tracer } from "effect"

export interface Total {
  count: number
  ms: number
}

/** A tracer that adds each ended span's wall time to `totals` under its name; `onEnd` after each. */
export const totalsTracer = (totals: Map<string, Total>, onEnd: () => void = () => undefined) =>
  Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      const end = span.end.bind(span)
      span.end = (endTime, exit) => {
        end(endTime, exit)
        const t = totals.get(span.name) ?? { count: 0, ms: 0 }
        t.count += 1
        t.ms += Number(endTime - span.startTime) / 1e6
        totals.set(span.name, t)
        onEnd()
      }
      return span
    }
  })

export const layer = (everyMs: number) => {
  const totals = new Map<string, Total>()
  let changed = false
  const tracer = totalsTracer(totals, () => {
    changed = true
  })
  const report = Effect.suspend(() => {
    if (!changed) return Effect.void
    changed = false
    const spans = Object.fromEntries([...totals].map(([name, t]) => [name, { count: t.count, ms: Math.round(t.ms) }]))
    return Effect.logInfo("span profile").pipe(Effect.annotateLogs({ spans }))
  })
  const reporter = Layer.effectDiscard(Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(everyMs), report))))
  return Layer.merge(Layer.succeed(Tracer.Tracer, tracer), reporter)
}
