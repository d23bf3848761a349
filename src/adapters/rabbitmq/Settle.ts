// What a consumer does with a delivery once its handler finished: ack, retry tier, park or return.
import type { Channel, ConsumeMessage } from "amqplib"
import { Cause, Clock, Effect, Exit, Option } from "effect"
import type { MessageBusError } from "../../application/ports/MessageBus.ts"
import { SyncStore } from "../../application/ports/SyncStore.ts"
import { decideRetry, parkedItem } from "../../application/RetryDecision.ts"
import type { Envelope, Step } from "../../application/Step.ts"
import type { StepFailure } from "../../application/StepFailure.ts"
import { encode, Headers, numberHeader } from "./Codec.ts"
import type { Publication } from "./ConfirmedPublish.ts"
import type { Names } from "./Topology.ts"

export type Publish = (items: ReadonlyArray<Publication>) => Effect.Effect<void, MessageBusError>

// After a connection loss the delivery tag is void and the broker redelivers anyway (at least once).
const safely = (f: () => void) => Effect.sync(() => {
  try {
    f()
  } catch {
    // channel already closed
  }
})
export const ack = (channel: Channel, message: ConsumeMessage) => safely(() => channel.ack(message))
/** Returns the delivery to its queue: counts toward x-delivery-limit, exactly like a crash would. */
export const giveBack = (channel: Channel, message: ConsumeMessage) => safely(() => channel.nack(message, false, true))

/** Parking = a copy on the parking queue (with reason headers) + the SyncStore record. */
export const park = Effect.fnUntraced(function* (
  publish: Publish,
  n: Names,
  step: string,
  envelope: Envelope,
  reason: string,
  firstFailedAt: number | undefined
) {
  const now = yield* Clock.currentTimeMillis
  const headers = { [Headers.attempt]: envelope.attempt, [Headers.parkReason]: reason, [Headers.parkStep]: step }
  const { content, options } = encode(envelope, headers)
  yield* publish([{ exchange: "", routingKey: n.parking, content, options }])
  yield* (yield* SyncStore).park(parkedItem(step, envelope, reason, firstFailedAt ?? now, now))
})

export const settle = Effect.fnUntraced(function* (
  ctx: { readonly channel: Channel; readonly publish: Publish; readonly names: Names; readonly step: Step },
  message: ConsumeMessage,
  envelope: Envelope,
  exit: Exit.Exit<void, StepFailure>
) {
  const { channel, publish, names, step } = ctx
  if (Exit.isSuccess(exit)) return yield* ack(channel, message)
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isNone(failure)) {
    yield* Effect.logError(`handler of ${step.name} died; returning the message`, exit.cause)
    return yield* giveBack(channel, message)
  }
  const firstFailedAt = numberHeader(message, Headers.firstFailedAt)
  const decision = decideRetry(step, envelope.attempt, failure.value)
  if (decision._tag === "Park") {
    yield* park(publish, names, step.name, envelope, decision.reason, firstFailedAt)
  } else {
    const now = yield* Clock.currentTimeMillis
    const headers = { [Headers.attempt]: envelope.attempt + 1, [Headers.firstFailedAt]: firstFailedAt ?? now }
    const { content, options } = encode(envelope, headers)
    yield* publish([{ exchange: "", routingKey: names.tierQueue(step.name, decision.delayMs), content, options }])
  }
  // Only now: the retry/parked copy is confirmed by the broker, so acking cannot lose the message.
  yield* ack(channel, message)
})
