// Job checkpoints in process memory, replaced whole by job id.
import { Effect, Layer } from "effect"
import { type Checkpoint, JobCheckpoints } from "../../application/ports/JobCheckpoints.ts"

export const make = Effect.sync(() => {
  const checkpoints = new Map<string, Checkpoint>()
  return JobCheckpoints.of({
    save: (all) =>
      Effect.sync(() => {
        for (const c of all) checkpoints.set(c.jobId, c)
      }),
    load: (jobIds) =>
      Effect.sync(() =>
        [...new Set(jobIds)].flatMap((id) => {
          const found = checkpoints.get(id)
          return found === undefined ? [] : [found]
        })
      )
  })
})

export const layer = Layer.effect(JobCheckpoints, make)
