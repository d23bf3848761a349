// The bus's queues and the webhook outbox at a glance, for operators.
import { Clock, Effect } from "effect"
import { MessageBus, type QueueDepth } from "./ports/MessageBus.ts"
import { WebhookInbox } from "./ports/WebhookInbox.ts"

export interface QueueStatus {
  readonly queues: ReadonlyArray<QueueDepth>
  readonly outbox: { readonly pending: number; readonly oldestAgeMs: number | undefined }
}

export const queueStatus = Effect.fn("queueStatus")(function* () {
  const [queues, backlog] = yield* Effect.all([Effect.flatMap(MessageBus, (b) => b.depths), Effect.flatMap(WebhookInbox, (i) => i.backlog)], { concurrency: 2 })
  const now = yield* Clock.currentTimeMillis
  return {
    queues,
    outbox: { pending: backlog.pending, oldestAgeMs: backlog.oldestReceivedAt === undefined ? undefined : Math.max(0, now - backlog.oldestReceivedAt) }
  } satisfies QueueStatus
})
