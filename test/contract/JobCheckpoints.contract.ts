// The JobCheckpoints contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type Checkpoint, JobCheckpoints } from "../../src/application/ports/JobCheckpoints.ts"
import { portRunner } from "./runPort.ts"

const aCheckpoint = (jobId: string, over: Partial<Checkpoint> = {}): Checkpoint => ({
  jobId,
  cursor: undefined,
  done: 0,
  finished: false,
  updatedAt: 1,
  ...over
})
const byJob = (all: ReadonlyArray<Checkpoint>) => [...all].sort((a, b) => a.jobId.localeCompare(b.jobId))

export const jobCheckpointsContract = (name: string, makeLayer: () => Layer.Layer<JobCheckpoints, unknown>): void => {
  const run = portRunner(JobCheckpoints, makeLayer)

  describe(`JobCheckpoints contract: ${name}`, () => {
    test("saves many, loads those asked for, and replaces on save", async () => {
      const jobs = Array.from({ length: 12 }, (_, i) => aCheckpoint(`job-${String(i).padStart(2, "0")}`, { done: i }))
      const out = await run((c) =>
        Effect.gen(function* () {
          const before = yield* c.load(["job-00"])
          yield* c.save(jobs)
          yield* c.save([
            aCheckpoint("job-01", { cursor: "after:500", done: 500, updatedAt: 2 }),
            aCheckpoint("job-02", { finished: true, done: 9, updatedAt: 3 })
          ])
          yield* c.save([])
          return {
            before,
            loaded: yield* c.load(["job-00", "job-01", "job-02", "nope"]),
            all: yield* c.load(jobs.map((j) => j.jobId)),
            none: yield* c.load([])
          }
        })
      )
      expect(out.before).toEqual([])
      expect(byJob(out.loaded)).toEqual([
        jobs[0]!,
        aCheckpoint("job-01", { cursor: "after:500", done: 500, updatedAt: 2 }),
        aCheckpoint("job-02", { finished: true, done: 9, updatedAt: 3 })
      ])
      expect(out.all).toHaveLength(12)
      expect(out.none).toEqual([])
    })
  })
}
