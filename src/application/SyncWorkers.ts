// Starts the service's consumers: one per step, each with its own retry policy, for the
// lifetime of the layer. Closing the layer stops intake and lets in-flight handlers finish.
import { Effect, Layer } from "effect"
import { CrmBatcher } from "./CrmBatcher.ts"
import { ObjectLocks } from "./ObjectLocks.ts"
import type { CommerceApi } from "./ports/CommerceApi.ts"
import type { Crm } from "./ports/Crm.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import type { IdLinks } from "./ports/IdLinks.ts"
import type { Snapshots } from "./ports/Snapshots.ts"
import type { WriteLedger } from "./ports/WriteLedger.ts"
import type { Envelope, Step } from "./Step.ts"
import { sameTuning, type StepTunings, syncCommerceEntityStep, syncCrmObjectStep, writeBackIdsStep } from "./Steps.ts"
import { syncCommerceEntity } from "./SyncCommerceEntity.ts"
import { syncCrmObject } from "./SyncCrmObject.ts"
import { writeBackIds } from "./WriteBackIds.ts"

export const steps = (tunings: StepTunings = sameTuning()): readonly [Step, Step, Step] => [
  syncCrmObjectStep(tunings["sync-crm-object"]),
  writeBackIdsStep(tunings["write-back-ids"]),
  syncCommerceEntityStep(tunings["sync-commerce-entity"])
]

export const layer = (tunings: StepTunings = sameTuning()) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const services = yield* Effect.context<Crm | CommerceApi | Snapshots | IdLinks | WriteLedger | MessageBus | CrmBatcher | ObjectLocks>()
      const run =
        <E, R extends Crm | CommerceApi | Snapshots | IdLinks | WriteLedger | MessageBus | CrmBatcher | ObjectLocks>(handler: (m: Envelope) => Effect.Effect<void, E, R>) =>
        (m: Envelope) =>
          handler(m).pipe(Effect.provideContext(services))
      const [crmObjects, ids, commerceEntities] = steps(tunings)
      yield* bus.consume(crmObjects, run(syncCrmObject))
      yield* bus.consume(ids, run(writeBackIds))
      yield* bus.consume(commerceEntities, run(syncCommerceEntity))
    })
  ).pipe(Layer.provide(Layer.merge(CrmBatcher.layer, ObjectLocks.layer)))

