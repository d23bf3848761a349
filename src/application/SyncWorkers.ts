// Starts the service's consumers: one per step, each with its own retry policy, for the
// lifetime of the layer. Closing the layer stops intake and lets in-flight handlers finish.
import { Effect, Layer } from "effect"
import { perMessage } from "./PerMessageBatches.ts"
import type { CommerceApi } from "./ports/CommerceApi.ts"
import type { Crm } from "./ports/Crm.ts"
import type { IdLinks } from "./ports/IdLinks.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import type { Snapshots } from "./ports/Snapshots.ts"
import type { WriteLedger } from "./ports/WriteLedger.ts"
import type { BatchHandler, Step } from "./Step.ts"
import { sameTuning, type StepTunings, syncCommerceEntityStep, syncCrmObjectStep, writeBackIdsStep } from "./Steps.ts"
import { syncCommerceEvents } from "./SyncCommerceEvents.ts"
import { syncCrmChanges } from "./SyncCrmChanges.ts"
import { writeBackIdBatch } from "./WriteBackIdBatch.ts"

export const steps = (tunings: StepTunings = sameTuning()): readonly [Step, Step, Step] => [
  syncCrmObjectStep(tunings["sync-crm-object"]),
  writeBackIdsStep(tunings["write-back-ids"]),
  syncCommerceEntityStep(tunings["sync-commerce-entity"])
]

type Needs = Crm | CommerceApi | MessageBus | Snapshots | IdLinks | WriteLedger

export const layer = (tunings: StepTunings = sameTuning()) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const services = yield* Effect.context<Needs>()
      const run = (handler: BatchHandler<Needs>) => perMessage((messages) => handler(messages).pipe(Effect.provideContext(services)))
      const [crmObjects, ids, commerceEntities] = steps(tunings)
      yield* bus.consume(crmObjects, yield* run(syncCrmChanges))
      yield* bus.consume(ids, yield* run(writeBackIdBatch))
      yield* bus.consume(commerceEntities, yield* run(syncCommerceEvents))
    })
  )
