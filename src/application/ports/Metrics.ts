// What the service counts and times, vendor-neutral: counters and histograms by name and labels.
// A Reference with a no-op default, so use cases record without needing it wired (tests, tools);
// the service provides the Prometheus adapter. Recording never fails and never blocks.
import { Context, Effect } from "effect"

export type Labels = Readonly<Record<string, string>>

interface Definition {
  readonly kind: "counter" | "histogram"
  readonly help: string
  readonly labels: ReadonlyArray<string>
  /** Histogram bucket bounds, in seconds. */
  readonly buckets?: ReadonlyArray<number>
}

const latency = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
// From 25 ms: live sync takes 50–100 ms end to end, and its lag under a backfill is told apart
// from idle only below 100 ms.
const lag = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600]

/** Every metric, declared once: adapters register them all up front, so a scrape lists each from the start. */
export const metricDefinitions = {
  webhook_requests_received_total: { kind: "counter", help: "Webhook requests received", labels: [] },
  webhook_requests_accepted_total: { kind: "counter", help: "Webhook requests answered 200 with their events stored", labels: [] },
  webhook_requests_rejected_total: { kind: "counter", help: "Webhook requests not accepted, by reason", labels: ["reason"] },
  webhook_payloads_quarantined_total: { kind: "counter", help: "Signed payloads that did not decode, kept for a human", labels: [] },
  events_stored_total: { kind: "counter", help: "Webhook events stored in the inbox (duplicates excluded)", labels: [] },
  events_duplicate_total: { kind: "counter", help: "Webhook events already pending (redeliveries)", labels: [] },
  events_echo_dropped_total: { kind: "counter", help: "Webhook events the CRM attributes to this app, dropped at intake (never stored)", labels: [] },
  backfill_yield_seconds: {
    kind: "histogram",
    help: "Time a backfill operation waited for live work in flight (BACKFILL_YIELD_MS)",
    labels: [],
    buckets: latency
  },
  outbox_published_total: { kind: "counter", help: "Inbox events published by the relay", labels: [] },
  outbox_lag_seconds: { kind: "histogram", help: "From an event's receipt to its publication by the relay", labels: [], buckets: lag },
  messages_consumed_total: { kind: "counter", help: "Deliveries handed to a step, by step and tier", labels: ["step", "tier"] },
  messages_retried_total: { kind: "counter", help: "Deliveries sent to a retry tier", labels: ["step", "tier"] },
  messages_parked_total: { kind: "counter", help: "Deliveries parked, by step and the tier they came from", labels: ["step", "tier"] },
  messages_returned_total: { kind: "counter", help: "Deliveries given back after the handler crashed on them", labels: ["step"] },
  messages_replayed_total: { kind: "counter", help: "Parked messages replayed by an operator", labels: ["step"] },
  messages_discarded_total: { kind: "counter", help: "Parked messages discarded by an operator", labels: ["step"] },
  handler_duration_seconds: { kind: "histogram", help: "Time a step's handler took per batch, by lane", labels: ["step", "lane"], buckets: latency },
  sync_lag_seconds: {
    kind: "histogram",
    help: "End to end: from the source change to its effect (message acked), by lane",
    labels: ["step", "lane"],
    buckets: lag
  },
  crm_calls_total: { kind: "counter", help: "CRM API calls by operation and status (an HTTP code, 2xx, timeout or network)", labels: ["operation", "status"] },
  crm_call_duration_seconds: { kind: "histogram", help: "CRM API call duration", labels: ["operation"], buckets: latency },
  budget_tokens_total: { kind: "counter", help: "CRM request tokens granted, by lane", labels: ["lane"] },
  budget_search_slots_total: {
    kind: "counter",
    help: "Search calls granted (HubSpot's per-second search cap, apart from the burst), by lane",
    labels: ["lane"]
  },
  budget_throttled_total: { kind: "counter", help: "Times the CRM said to pause (429 or its headers)", labels: [] },
  event_loop_lag_seconds: {
    kind: "histogram",
    help: "How late the process's timers fired (sampled every 20 ms): work that held the event loop, delaying everything behind it",
    labels: [],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
  }
} as const satisfies Record<string, Definition>

export type MetricName = keyof typeof metricDefinitions
export type CounterName = { [K in MetricName]: (typeof metricDefinitions)[K]["kind"] extends "counter" ? K : never }[MetricName]
export type HistogramName = { [K in MetricName]: (typeof metricDefinitions)[K]["kind"] extends "histogram" ? K : never }[MetricName]

/** Every metric carries this prefix where it is exported. */
export const metricPrefix = "crm_sync_"

export interface MetricsShape {
  readonly count: (name: CounterName, labels?: Labels, by?: number) => Effect.Effect<void>
  /** Many observations of one histogram at once (a batch's lags). */
  readonly observe: (name: HistogramName, values: ReadonlyArray<number>, labels?: Labels) => Effect.Effect<void>
  /** The current value of a counter, summed over the labels not given (for the admin API and tests). */
  readonly total: (name: CounterName, labels?: Labels) => Effect.Effect<number>
}

export const noMetrics: MetricsShape = { count: () => Effect.void, observe: () => Effect.void, total: () => Effect.succeed(0) }

export const Metrics = Context.Reference<MetricsShape>("crm-sync/application/ports/Metrics", { defaultValue: () => noMetrics })

/** Label sets match when every given label is equal (unnamed labels are summed over). */
export const labelsMatch = (wanted: Labels | undefined, actual: Labels): boolean =>
  wanted === undefined || Object.entries(wanted).every(([k, v]) => actual[k] === v)
