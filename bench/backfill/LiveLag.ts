// Where live sync's time went while a backfill ran, from the service's own histograms: the
// outbox relay's lag and each step's sync lag (source change → ack) in the live lane, as the
// bucket that holds the 50th and 99th percentile of what was observed between two scrapes.

/** Cumulative bucket counts of each series of `metric`, keyed by its labels (le removed). */
const histograms = (text: string, metric: string): Map<string, Map<number, number>> => {
  const out = new Map<string, Map<number, number>>()
  const pattern = new RegExp(`^crm_sync_${metric}_bucket\\{(.*)\\} (\\S+)$`)
  for (const line of text.split("\n")) {
    const m = pattern.exec(line)
    if (m === null) continue
    const labels = (m[1] ?? "").split(",").filter((l) => !l.startsWith("le="))
    const le = /le="([^"]+)"/.exec(m[1] ?? "")?.[1] ?? "+Inf"
    const series = labels.join(",")
    const buckets = out.get(series) ?? new Map<number, number>()
    buckets.set(le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), Number(m[2]))
    out.set(series, buckets)
  }
  return out
}

/** The upper bound of the bucket holding quantile `q` of the observations between two scrapes. */
const bucketOf = (before: Map<number, number> | undefined, after: Map<number, number>, q: number): string => {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before?.get(Number.POSITIVE_INFINITY) ?? 0)
  const bound = bounds.find((b) => (after.get(b) ?? 0) - (before?.get(b) ?? 0) >= q * total)
  return bound === undefined || !Number.isFinite(bound) ? "> last bucket" : `≤ ${bound * 1000} ms`
}

export const scrapeMetrics = async (serviceUrl: string): Promise<string> => (await fetch(`${serviceUrl}/metrics`)).text()

/** Rows "metric {labels}: n, p50 bucket, p99 bucket" for the live lane's lags between two scrapes. */
export const liveLagRows = (before: string, after: string): ReadonlyArray<string> =>
  ["outbox_lag_seconds", "sync_lag_seconds"].flatMap((metric) => {
    const [b, a] = [histograms(before, metric), histograms(after, metric)]
    return [...a].flatMap(([series, buckets]) => {
      if (metric === "sync_lag_seconds" && !series.includes('lane="live"')) return []
      const n = (buckets.get(Number.POSITIVE_INFINITY) ?? 0) - (b.get(series)?.get(Number.POSITIVE_INFINITY) ?? 0)
      return n === 0
        ? []
        : [`${metric} {${series}}: ${n} observed, p50 ${bucketOf(b.get(series), buckets, 0.5)}, p99 ${bucketOf(b.get(series), buckets, 0.99)}`]
    })
  })

/** The service's own event-loop lag between two scrapes: the buckets of its p50, p99 and p99.9. */
export const serviceLoopLag = (before: string, after: string): string => {
  const b = histograms(before, "event_loop_lag_seconds").get("")
  const a = histograms(after, "event_loop_lag_seconds").get("")
  if (a === undefined) return "not exported"
  return ([0.5, 0.99, 0.999] as const).map((q) => `p${q * 100} ${bucketOf(b, a, q)}`).join(", ")
}

/** A plain series' value (a histogram's `_sum` or `_count`), 0 when not exported. */
const seriesValue = (text: string, name: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(`crm_sync_${name} `))
  return line === undefined ? 0 : Number(line.split(" ")[1])
}

/**
 * How long the backfill's operations waited for live work in flight between two scrapes (the
 * LiveFirst gate, BACKFILL_YIELD_MS): the waits, their sum, and the buckets of their p50 and p99.
 */
export const backfillYields = (before: string, after: string): string => {
  const waits = seriesValue(after, "backfill_yield_seconds_count") - seriesValue(before, "backfill_yield_seconds_count")
  const seconds = seriesValue(after, "backfill_yield_seconds_sum") - seriesValue(before, "backfill_yield_seconds_sum")
  const a = histograms(after, "backfill_yield_seconds").get("")
  if (a === undefined || waits === 0) return "none"
  const b = histograms(before, "backfill_yield_seconds").get("")
  return `${waits} waits, ${seconds.toFixed(1)} s in all; p50 ${bucketOf(b, a, 0.5)}, p99 ${bucketOf(b, a, 0.99)}`
}
