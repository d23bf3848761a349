// Carries out a batch's settlements: retry copies go to their tier queue and parked ones to the
// parking queue in one confirmed publish, and only then are the originals acked.
import type { Channel, ConsumeMessage } from "amqplib"
import { Effect, Schedule } from "effect"
import type { MessageBusError, Settlement } from "../../application/ports/MessageBus.ts"
import type { Envelope, Step } from "../../application/Step.ts"
import { encode, Headers } from "./Codec.ts"
import type { Publication } from "./ConfirmedPublish.ts"
import type { Names } from "./Topology.ts"

export type Publish = (items: ReadonlyArray<Publication>) => Effect.Effect<void, MessageBusError>

export interface Received {
  readonly channel: Channel
  readonly message: ConsumeMessage
  readonly envelope: Envelope
}

// After a connection loss the delivery tag is void and the broker redelivers anyway (at least once).
const safely = (f: () => void) =>
  Effect.sync(() => {
    try {
      f()
    } catch {
      // channel already closed
    }
  })
export const ack = (r: Received) => safely(() => r.channel.ack(r.message))
/** Returns the delivery to its queue: counts toward x-delivery-limit, exactly like a crash would. */
export const giveBack = (r: Received) => safely(() => r.channel.nack(r.message, false, true))

export const parkingCopy = (n: Names, step: string, envelope: Envelope, reason: string): Publication => {
  const headers = { [Headers.attempt]: envelope.attempt, [Headers.parkReason]: reason, [Headers.parkStep]: step }
  return { exchange: "", routingKey: n.parking, ...encode(envelope, headers) }
}

// A delay that is not one of the step's tiers has no queue: the copy would vanish unrouted.
const copyOf = (n: Names, step: Step, r: Received, settlement: Settlement): Publication | undefined | "invalid" => {
  if (settlement._tag === "Park") return parkingCopy(n, step.name, r.envelope, settlement.reason)
  if (settlement._tag !== "Retry") return undefined
  if (!step.retryTiersMs.includes(settlement.delayMs)) return "invalid"
  const headers = { [Headers.attempt]: settlement.attempt, [Headers.firstFailedAt]: settlement.firstFailedAt }
  return { exchange: "", routingKey: n.tierQueue(step.name, settlement.delayMs), ...encode(r.envelope, headers) }
}

// Settling waits out a short publishing outage (the publish connection reconnects after the
// consume one, e.g. after a broker restart): returning the batch at once would redeliver it at
// once, and a few such turns spend the whole delivery limit and park healthy messages.
// 7 tries over ~13 s in all.
const settleRetry = Schedule.exponential("100 millis", 2)

export const settleAll = Effect.fnUntraced(function* (
  ctx: { readonly publish: Publish; readonly names: Names; readonly step: Step },
  batch: ReadonlyArray<Received>,
  settlements: ReadonlyArray<Settlement>
) {
  const copies = batch.map((r, i) => copyOf(ctx.names, ctx.step, r, settlements[i] ?? { _tag: "Return" }))
  const publications = copies.filter((c): c is Publication => c !== undefined && c !== "invalid")
  // If the copies are not confirmed the originals go back: nothing is acked that is not safe elsewhere.
  const published = yield* ctx.publish(publications).pipe(
    Effect.retry({ schedule: settleRetry, times: 7, while: (error) => error.isRetryable }),
    Effect.as(true),
    Effect.catch((error) => Effect.logError(`settling a batch of ${ctx.step.name} failed; returning it`, error).pipe(Effect.as(false)))
  )
  yield* Effect.forEach(
    batch,
    (r, i) => {
      const settlement = settlements[i]
      const returned = settlement === undefined || settlement._tag === "Return" || copies[i] === "invalid" || (!published && copies[i] !== undefined)
      return returned ? giveBack(r) : ack(r)
    },
    { discard: true }
  )
})
