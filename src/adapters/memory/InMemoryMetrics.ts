// Metrics kept in process memory: counters and histogram observations, for tests.
import { Effect, Layer } from "effect"
import { type Labels, labelsMatch, Metrics, type MetricsShape } from "../../application/ports/Metrics.ts"

interface Sample {
  readonly name: string
  readonly labels: Labels
  value: number
}

export interface InMemoryMetrics extends MetricsShape {
  /** Every histogram observation so far, by name. */
  readonly observations: (name: string, labels?: Labels) => ReadonlyArray<number>
}

const key = (name: string, labels: Labels) => `${name}${JSON.stringify(Object.entries(labels).sort())}`

export const make = (): InMemoryMetrics => {
  const counters = new Map<string, Sample>()
  const histograms: Array<{ name: string; labels: Labels; value: number }> = []
  return {
    count: (name, labels = {}, by = 1) =>
      Effect.sync(() => {
        const k = key(name, labels)
        const sample = counters.get(k) ?? { name, labels, value: 0 }
        sample.value += by
        counters.set(k, sample)
      }),
    observe: (name, values, labels = {}) =>
      Effect.sync(() => {
        for (const value of values) histograms.push({ name, labels, value })
      }),
    total: (name, labels) =>
      Effect.sync(() => [...counters.values()].filter((s) => s.name === name && labelsMatch(labels, s.labels)).reduce((sum, s) => sum + s.value, 0)),
    observations: (name, labels) => histograms.filter((h) => h.name === name && labelsMatch(labels, h.labels)).map((h) => h.value)
  }
}

export const layer = (metrics: InMemoryMetrics = make()) => Layer.succeed(Metrics, metrics)
