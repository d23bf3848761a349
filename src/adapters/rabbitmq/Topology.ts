// The broker topology, derived from the Steps alone and declared idempotently (see docs/topology.md).
import type { Channel } from "amqplib"
import type { LaneName } from "../../application/Lane.ts"
import type { Step } from "../../application/Step.ts"

export interface Names {
  /** Topic exchange every event is published to; steps bind their routing keys on it. */
  readonly events: string
  /** Where the broker dead-letters crash-looping messages; the drain records them, then moves them to parking. */
  readonly deadLetters: string
  /** Final resting place of parked messages (nobody consumes it; ParkedItems lists them). */
  readonly parking: string
  readonly stepQueue: (step: string) => string
  /** The delay is in the name: changing a tier declares a new queue instead of a conflicting one. */
  readonly tierQueue: (step: string, delayMs: number) => string
  /**
   * Partition `k` of a step (issue 12) for one lane (issue 10): quorum, single active consumer;
   * the partitioner fills it. Live is `P.step.S.p<k>`, the backfill lane `P.step.S.p<k>.backfill`.
   */
  readonly partitionQueue: (step: string, k: number, lane?: LaneName) => string
  /** The step of a step, tier or partition queue, for the x-death header. */
  readonly stepOf: (queue: string) => string | undefined
  /** The platform's durable queue for one kind of message (`tocommerce.user.upsert`). */
  readonly shopQueue: (kind: string) => string
}

export const names = (prefix: string): Names => ({
  events: `${prefix}.events`,
  deadLetters: `${prefix}.dead-letters`,
  parking: `${prefix}.parking`,
  stepQueue: (step) => `${prefix}.step.${step}`,
  tierQueue: (step, delayMs) => `${prefix}.step.${step}.retry.${delayMs}ms`,
  partitionQueue: (step, k, lane = "live") => `${prefix}.step.${step}.p${k}${lane === "live" ? "" : `.${lane}`}`,
  shopQueue: (kind) => `${prefix}.${kind}`,
  stepOf: (queue) => (queue.startsWith(`${prefix}.step.`) ? queue.slice(prefix.length + 6).replace(/\.(retry\.\d+ms|p\d+(\.backfill)?)$/, "") : undefined)
})

// Quorum + at-least-once dead-lettering: a message is removed only once its dead-letter target
// confirmed it. RabbitMQ requires reject-publish overflow for that strategy.
const quorum = { "x-queue-type": "quorum" }
const deadLetterTo = (queue: string) => ({
  "x-dead-letter-exchange": "",
  "x-dead-letter-routing-key": queue,
  "x-dead-letter-strategy": "at-least-once",
  "x-overflow": "reject-publish"
})

// Every queue names its delivery limit and dead-letter target: RabbitMQ 4 gives quorum queues a
// default limit of 20 and drops what exceeds it when no dead-letter exchange is set.
const SHARED_DELIVERY_LIMIT = 100

export const declareShared = async (channel: Channel, n: Names): Promise<void> => {
  await channel.assertExchange(n.events, "topic", { durable: true })
  // Nobody consumes parking; should an operator's consumer crash on it, the letter comes back here.
  await channel.assertQueue(n.parking, { durable: true, arguments: { ...quorum, "x-delivery-limit": SHARED_DELIVERY_LIMIT, ...deadLetterTo(n.deadLetters) } })
  // A drain that keeps failing on a letter finally moves it to parking instead of dropping it.
  await channel.assertQueue(n.deadLetters, { durable: true, arguments: { ...quorum, "x-delivery-limit": SHARED_DELIVERY_LIMIT, ...deadLetterTo(n.parking) } })
}

/** Every lane has its own partition queues: live work never queues behind the backfill's. */
export const lanes: ReadonlyArray<LaneName> = ["live", "backfill"]

/**
 * One partition queue of a step. Single active consumer: however many replicas attach to it
 * (two may briefly both think they own it), the broker delivers to one, and the next takes over
 * only once that one cancelled or its channel closed, its unacked messages requeued first.
 */
export const declarePartition = async (channel: Channel, n: Names, step: Step, k: number, lane: LaneName = "live"): Promise<void> => {
  await channel.assertQueue(n.partitionQueue(step.name, k, lane), {
    durable: true,
    arguments: { ...quorum, "x-single-active-consumer": true, "x-delivery-limit": step.deliveryLimit, ...deadLetterTo(n.deadLetters) }
  })
}

/**
 * Step (intake) queue, its bindings, one queue per retry tier (so a short tier never waits behind
 * a long one) and the step's partition queues of each lane.
 */
export const declareStep = async (channel: Channel, n: Names, step: Step, partitions: number): Promise<void> => {
  const queue = n.stepQueue(step.name)
  await channel.assertQueue(queue, {
    durable: true,
    arguments: { ...quorum, "x-delivery-limit": step.deliveryLimit, ...deadLetterTo(n.deadLetters) }
  })
  for (const binding of step.bindings) await channel.bindQueue(queue, n.events, binding)
  for (const delayMs of new Set(step.retryTiersMs)) {
    await channel.assertQueue(n.tierQueue(step.name, delayMs), {
      durable: true,
      arguments: { ...quorum, "x-message-ttl": delayMs, "x-delivery-limit": step.deliveryLimit, ...deadLetterTo(queue) }
    })
  }
  for (let k = 0; k < partitions; k++) for (const lane of lanes) await declarePartition(channel, n, step, k, lane)
}

/**
 * One durable queue per message kind the contract promises the platform (issue 9 #14): what we
 * publish for it is kept until the platform consumes it, whether or not it is connected yet.
 */
export const declareShopQueues = async (channel: Channel, n: Names, kinds: ReadonlyArray<string>): Promise<void> => {
  for (const kind of kinds) {
    const queue = n.shopQueue(kind)
    await channel.assertQueue(queue, { durable: true, arguments: { ...quorum, "x-delivery-limit": SHARED_DELIVERY_LIMIT, ...deadLetterTo(n.deadLetters) } })
    await channel.bindQueue(queue, n.events, kind)
  }
}
