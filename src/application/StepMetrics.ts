// What a settled batch tells the metrics: deliveries by tier and settlement, handler time, and
// the end-to-end lag (source change to effect) of the messages it finished.
import { Effect } from "effect"
import type { Delivery, Settlement } from "./ports/MessageBus.ts"
import { Metrics } from "./ports/Metrics.ts"
import type { Step } from "./Step.ts"

/** "main" for a first delivery, else the retry tier it came back from (`retry-1` is the first). */
export const deliveryTier = (step: Step, attempt: number): string =>
  attempt <= 1 ? "main" : `retry-${Math.min(attempt - 1, Math.max(1, step.retryTiersMs.length))}`

const retryTier = (step: Step, delayMs: number): string => {
  const index = step.retryTiersMs.indexOf(delayMs)
  return `retry-${index < 0 ? step.retryTiersMs.length : index + 1}`
}

const tally = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1)

export const recordBatch = (step: Step, batch: ReadonlyArray<Delivery>, settlements: ReadonlyArray<Settlement>, handlerMs: number, now: number) =>
  Effect.flatMap(Effect.service(Metrics), (metrics) => {
    const counts = new Map<string, number>()
    const lags: Array<number> = []
    batch.forEach((delivery, i) => {
      const tier = deliveryTier(step, delivery.envelope.attempt)
      const settlement = settlements[i]
      tally(counts, `messages_consumed_total|${tier}`)
      if (settlement?._tag === "Ack") lags.push(Math.max(0, now - delivery.envelope.occurredAt) / 1000)
      else if (settlement?._tag === "Retry") tally(counts, `messages_retried_total|${retryTier(step, settlement.delayMs)}`)
      else if (settlement?._tag === "Park") tally(counts, `messages_parked_total|${tier}`)
      else if (settlement?._tag === "Return") tally(counts, "messages_returned_total|")
    })
    const counted = [...counts].map(([key, by]) => {
      const [name, tier] = key.split("|") as [Parameters<typeof metrics.count>[0], string]
      return metrics.count(name, tier === "" ? { step: step.name } : { step: step.name, tier }, by)
    })
    // A batch holds one lane's deliveries: live sync's lag stays readable while a backfill runs.
    const lane = batch[0]?.envelope.lane ?? "live"
    return Effect.all(
      [
        ...counted,
        metrics.observe("handler_duration_seconds", [handlerMs / 1000], { step: step.name, lane }),
        metrics.observe("sync_lag_seconds", lags, { step: step.name, lane })
      ],
      {
        discard: true
      }
    )
  })
