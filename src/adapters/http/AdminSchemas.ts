// The admin API's inputs and outputs as Schemas: routes decode with them (bad input is a 400,
// never a 5xx) and docs/openapi.yaml is generated from them.
import { Schema } from "effect"
import { CrmChange } from "../../domain/CrmChange.ts"

const Text = (max: number) => Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(max))
const Millis = Schema.FiniteFromString.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "Epoch milliseconds" })
const Count = (min: number, max: number) => Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: min, maximum: max }))

/** The filters of a parked-items query; `from` inclusive and `to` exclusive, on when it was parked. */
const parkedFilterFields = {
  step: Schema.optionalKey(Text(200).annotate({ description: "Step name, e.g. sync-contact" })),
  type: Schema.optionalKey(Text(200).annotate({ description: "Message type (routing key)" })),
  entity: Schema.optionalKey(Text(200).annotate({ description: "A CRM or commerce id the message mentions" })),
  reason: Schema.optionalKey(Text(500).annotate({ description: "Text the reason contains (case-insensitive)" })),
  from: Schema.optionalKey(Millis),
  to: Schema.optionalKey(Millis),
  settled: Schema.optionalKey(Schema.Literals(["true", "false"]).annotate({ description: "Also list replayed and discarded items" }))
}

export const ParkedListQuery = Schema.Struct({
  ...parkedFilterFields,
  limit: Schema.optionalKey(Count(1, 500).annotate({ description: "Page size (default 50)" })),
  offset: Schema.optionalKey(Count(0, 1_000_000))
})
export type ParkedListQuery = typeof ParkedListQuery.Type

/** Replays every unsettled item matching the filter (at least one filter is required). */
export const ReplayMatchingBody = Schema.Struct({
  step: Schema.optionalKey(Text(200)),
  type: Schema.optionalKey(Text(200)),
  entity: Schema.optionalKey(Text(200)),
  reason: Schema.optionalKey(Text(500)),
  from: Schema.optionalKey(Schema.Finite),
  to: Schema.optionalKey(Schema.Finite)
})
export const DiscardBody = Schema.Struct({ note: Text(2000).annotate({ description: "Why it is given up on; kept with the item" }) })
export const Ids = Schema.Struct({ ids: Schema.Array(Text(300)).check(Schema.isMaxLength(1000)) })

export const PageQuery = Schema.Struct({
  limit: Schema.optionalKey(Count(1, 500)),
  offset: Schema.optionalKey(Count(0, 1_000_000))
})

export const EntityType = Schema.Literals(["contact", "company", "order", "user", "business", "purchase"]).annotate({
  description: "A CRM object type (the id is a CRM id) or a commerce entity (the id is a commerce id)"
})
export const EntityId = Text(200)

export const ParkedItemView = Schema.Struct({
  id: Schema.String,
  step: Schema.String,
  message: Schema.Struct({
    id: Schema.String,
    type: Schema.String,
    payload: Schema.Unknown,
    occurredAt: Schema.Finite,
    lane: Schema.String,
    attempt: Schema.Finite
  }),
  reason: Schema.String,
  attempts: Schema.Finite,
  firstFailedAt: Schema.Finite,
  lastFailedAt: Schema.Finite,
  replayedAt: Schema.optionalKey(Schema.Finite),
  discarded: Schema.optionalKey(Schema.Struct({ at: Schema.Finite, note: Schema.String }))
})
export const ParkedPageView = Schema.Struct({ total: Schema.Finite, items: Schema.Array(ParkedItemView) })
export const SettledView = Schema.Struct({ done: Schema.Array(Schema.String), skipped: Schema.Array(Schema.String), unknown: Schema.Array(Schema.String) })

export const QuarantinedView = Schema.Struct({ id: Schema.String, body: Schema.String, reason: Schema.String, receivedAt: Schema.Finite })
export const QuarantinedPageView = Schema.Struct({ total: Schema.Finite, items: Schema.Array(QuarantinedView) })
export const QuarantineReplayView = Schema.Struct({ stored: Schema.Finite, duplicates: Schema.Finite, ignored: Schema.Finite })

const Side = Schema.Struct({ id: Schema.String, version: Schema.optionalKey(Schema.Finite), deleted: Schema.Boolean })
export const EntityStatusView = Schema.Struct({
  entity: Schema.String,
  crmType: Schema.String,
  crm: Schema.Array(Side),
  commerce: Schema.Array(Side),
  links: Schema.Array(Schema.Struct({ entity: Schema.String, crmId: Schema.String, commerceId: Schema.String })),
  parked: Schema.Array(ParkedItemView),
  pending: Schema.Array(Schema.Struct({ change: CrmChange, receivedAt: Schema.Finite })).annotate({
    description: "Webhook events for its CRM ids still waiting in the outbox (not yet published), oldest first, at most 100"
  }),
  queues: Schema.String.annotate({ description: "Queue contents are not inspected: a message already on a step queue is not listed" })
})

export const QueueStatusView = Schema.Struct({
  queues: Schema.Array(Schema.Struct({ step: Schema.optionalKey(Schema.String), queue: Schema.String, messages: Schema.Finite, consumers: Schema.Finite })),
  outbox: Schema.Struct({ pending: Schema.Finite, oldestAgeMs: Schema.optionalKey(Schema.Finite) })
})

export const BudgetView = Schema.Struct({
  limits: Schema.Struct({ burst: Schema.Finite, intervalMs: Schema.Finite, daily: Schema.Finite, backfillShare: Schema.Finite, timeZone: Schema.String }),
  leased: Schema.Struct({
    slot: Schema.Struct({ startsAt: Schema.Finite, endsAt: Schema.Finite, capacity: Schema.Finite, live: Schema.Finite, backfill: Schema.Finite }).annotate({
      description: "Tokens every replica leased in the current slot of the rolling window, by lane"
    }),
    day: Schema.Struct({ key: Schema.String, resetAt: Schema.Finite, cap: Schema.Finite, leased: Schema.Finite, floor: Schema.Finite }).annotate({
      description: "Today's count (local day of the account): leased, and the floor HubSpot's headers set"
    }),
    pauseUntil: Schema.Finite.annotate({ description: "No lease before then (a shared 429 pause); 0 when none" }),
    active: Schema.Struct({ live: Schema.Finite, backfill: Schema.Finite }).annotate({
      description:
        "Replicas that leased for each lane in the last 10 s (this one included). While live leases in one replica, the backfill in the others leaves it 3 tokens of every slot until the slot's last quarter"
    })
  }),
  tokensSinceStart: Schema.Struct({ live: Schema.Finite, backfill: Schema.Finite }),
  throttledSinceStart: Schema.Finite.annotate({ description: "429s and pause headers this process saw since it started" })
})

export const ErrorView = Schema.Struct({ error: Schema.String })

/** A backfill job to start, as `bun run backfill start` takes it. */
export const JobStartBody = Schema.Struct({
  direction: Schema.Literals(["crm-to-commerce", "commerce-to-crm"]),
  type: Schema.Literals(["contact", "company", "order", "all"]).annotate({ description: "CRM object type (its commerce entity for commerce-to-crm), or all" }),
  fromId: Schema.optionalKey(Text(200).annotate({ description: "First id of the range (inclusive)" })),
  toId: Schema.optionalKey(Text(200).annotate({ description: "Last id of the range (inclusive)" })),
  modifiedSince: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "Epoch ms, inclusive" })),
  modifiedUntil: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "Epoch ms, exclusive" })),
  pageSize: Schema.optionalKey(
    Schema.Finite.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })).annotate({ description: "Records per page (default 1000)" })
  ),
  dryRun: Schema.optionalKey(Schema.Boolean.annotate({ description: "Count what it would write, write nothing" })),
  share: Schema.optionalKey(
    Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })).annotate({
      description: "The job's share of each rolling window of the CRM budget (default BACKFILL_SHARE, at most BACKFILL_MAX_SHARE)"
    })
  )
})
export type JobStartBody = typeof JobStartBody.Type
export const JobId = Text(200)
export const JobAction = Schema.Literals(["pause", "resume", "cancel"])

export const JobViewSchema = Schema.Struct({
  job: Schema.Struct({
    id: Schema.String,
    definition: Schema.Struct({
      direction: Schema.String,
      types: Schema.Array(Schema.String),
      fromId: Schema.optionalKey(Schema.String),
      toId: Schema.optionalKey(Schema.String),
      modifiedSince: Schema.optionalKey(Schema.Finite),
      modifiedUntil: Schema.optionalKey(Schema.Finite),
      pageSize: Schema.Finite,
      dryRun: Schema.Boolean,
      share: Schema.optionalKey(Schema.Finite),
      kind: Schema.String
    }),
    state: Schema.Literals(["running", "paused", "cancelled", "done"]),
    waitUntil: Schema.optionalKey(Schema.Finite.annotate({ description: "The daily quota is spent: no page before then" })),
    note: Schema.optionalKey(Schema.String.annotate({ description: "Why the job rests or was paused by the service" })),
    createdAt: Schema.Finite,
    updatedAt: Schema.Finite
  }),
  pages: Schema.Finite.annotate({ description: "Pages finished" }),
  counts: Schema.Record(Schema.String, Schema.Finite).annotate({ description: "Cumulative counts per outcome (records, parked, would-create, …)" }),
  rate: Schema.Finite.annotate({ description: "Records per second since the job was created" }),
  lastPageAt: Schema.optionalKey(Schema.Finite),
  total: Schema.optionalKey(Schema.Finite.annotate({ description: "Records the job covers as the source counted them; absent: unknown" })),
  etaSeconds: Schema.optionalKey(Schema.Finite.annotate({ description: "Seconds left at the job's rate so far; absent: unknown" })),
  share: Schema.Finite.annotate({ description: "The lane share the job's pages run at" })
})
export const JobListView = Schema.Struct({ jobs: Schema.Array(JobViewSchema) })
