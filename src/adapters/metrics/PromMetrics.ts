// The Metrics port on prom-client: one registry per process (not the library's global one, so
// tests and replicas in one process stay apart), every declared metric registered up front.
import { Effect, Layer } from "effect"
import { Counter, Histogram, Registry } from "prom-client"
import { type Labels, labelsMatch, Metrics, type MetricsShape, metricDefinitions, metricPrefix } from "../../application/ports/Metrics.ts"

export interface PromMetrics extends MetricsShape {
  readonly registry: Registry
}

export const make = (): PromMetrics => {
  const registry = new Registry()
  const counters = new Map<string, Counter>()
  const histograms = new Map<string, Histogram>()
  for (const [name, def] of Object.entries(metricDefinitions)) {
    const common = { name: `${metricPrefix}${name}`, help: def.help, labelNames: [...def.labels], registers: [registry] }
    if (def.kind === "counter") counters.set(name, new Counter(common))
    else histograms.set(name, new Histogram({ ...common, buckets: [...(def.buckets ?? [])] }))
  }
  const counter = (name: string) => counters.get(name) as Counter
  // prom-client throws on an undeclared label; a recording must never fail the work it measures.
  const declared = (name: keyof typeof metricDefinitions, labels: Labels): Labels =>
    Object.fromEntries(metricDefinitions[name].labels.map((l: string) => [l, labels[l] ?? ""]))
  return {
    registry,
    count: (name, labels = {}, by = 1) => Effect.sync(() => counter(name).inc(declared(name, labels), by)),
    // The labels are resolved once per call, not per value: a batch observes a value a message,
    // and prom-client hashes the label set on every `observe` (~3 % of the service's CPU in a backfill).
    observe: (name, values, labels = {}) =>
      Effect.sync(() => {
        if (values.length === 0) return
        const child = (histograms.get(name) as Histogram).labels(declared(name, labels))
        for (const value of values) child.observe(value)
      }),
    total: (name, labels) =>
      Effect.promise(() => counter(name).get()).pipe(
        Effect.map((m) => m.values.filter((v) => labelsMatch(labels, v.labels as Labels)).reduce((sum, v) => sum + v.value, 0))
      )
  }
}

export const layer = (metrics: PromMetrics = make()) => Layer.succeed(Metrics, metrics)
