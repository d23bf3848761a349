// A BatchConsumer for tests that only observe: runs `f` on each delivery's envelope and acks all.
import { Effect } from "effect"
import type { BatchConsumer, Settlement } from "../../src/application/ports/MessageBus.ts"
import type { Envelope } from "../../src/application/Step.ts"

const ack: Settlement = { _tag: "Ack" }

export const ackEach =
  (f: (message: Envelope) => Effect.Effect<unknown>): BatchConsumer =>
  (batch) =>
    Effect.forEach(batch, (d) => f(d.envelope), { discard: true }).pipe(Effect.as(batch.map(() => ack)))
