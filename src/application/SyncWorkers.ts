// Runs the registered steps for the lifetime of the layer, plus the recorder of dead letters.
// Closing the layer stops intake and lets the batches in flight finish.
import { Effect, Layer } from "effect"
import type { RegisteredStep } from "./StepRegistry.ts"
import { recordDeadLetters, runStep } from "./StepRunner.ts"

export const layer = (registered: ReadonlyArray<RegisteredStep>) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      for (const { step, handler } of registered) yield* runStep(step, handler)
      yield* recordDeadLetters()
    })
  )
