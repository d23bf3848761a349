// Starts the service's consumers: one per step, each with its own retry policy, for the
// lifetime of the layer. Closing the layer stops intake and lets in-flight handlers finish.
import { Effect, Layer } from "effect"
import { CrmBatcher } from "./CrmBatcher.ts"
import { ObjectLocks } from "./ObjectLocks.ts"
import type { CommerceApi } from "./ports/CommerceApi.ts"
import type { Crm } from "./ports/Crm.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import type { SyncStore } from "./ports/SyncStore.ts"
import type { Envelope } from "./Step.ts"
import { type StepTuning, syncCommerceEntityStep, syncCrmObjectStep, writeBackIdsStep } from "./Steps.ts"
import { syncCommerceEntity } from "./SyncCommerceEntity.ts"
import { syncCrmObject } from "./SyncCrmObject.ts"
import { writeBackIds } from "./WriteBackIds.ts"

export const steps = (tuning?: StepTuning) => [syncCrmObjectStep(tuning), writeBackIdsStep(tuning), syncCommerceEntityStep(tuning)]

export const layer = (tuning?: StepTuning) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const services = yield* Effect.context<Crm | CommerceApi | SyncStore | MessageBus | CrmBatcher | ObjectLocks>()
      const run =
        <E, R extends Crm | CommerceApi | SyncStore | MessageBus | CrmBatcher | ObjectLocks>(handler: (m: Envelope) => Effect.Effect<void, E, R>) =>
        (m: Envelope) =>
          handler(m).pipe(Effect.provideContext(services))
      yield* bus.consume(syncCrmObjectStep(tuning), run(syncCrmObject))
      yield* bus.consume(writeBackIdsStep(tuning), run(writeBackIds))
      yield* bus.consume(syncCommerceEntityStep(tuning), run(syncCommerceEntity))
    })
  ).pipe(Layer.provide(Layer.merge(CrmBatcher.layer, ObjectLocks.layer)))

