// The BackfillJobs contract: the same assertions for the memory adapter and the Mongo adapter.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer } from "effect"
import { type BackfillJob, BackfillJobs, type PageProgress } from "../../src/application/ports/BackfillJobs.ts"
import { portRunner } from "./runPort.ts"

const aJob = (id: string, createdAt: number): BackfillJob => ({
  id,
  definition: { direction: "crm-to-commerce", types: ["company", "contact"], pageSize: 100, dryRun: false, kind: "backfill" },
  state: "running",
  waitUntil: undefined,
  createdAt,
  updatedAt: createdAt
})
const aPage = (jobId: string, page: number, cursor: string | undefined): PageProgress => ({
  jobId,
  page,
  cursor,
  counts: { records: (page + 1) * 100 },
  finishedAt: 10 + page
})
const lease = (page: number, holder: string, expiresAt: number) => ({ jobId: "job", page, holder, expiresAt })

export const backfillJobsContract = (name: string, makeLayer: () => Layer.Layer<BackfillJobs, unknown>): void => {
  const run = portRunner(BackfillJobs, makeLayer)

  describe(`BackfillJobs contract: ${name}`, () => {
    test("creates once, lists oldest first and changes state", async () => {
      const out = await run((jobs) =>
        Effect.gen(function* () {
          yield* jobs.create([aJob("b", 2), aJob("a", 1)])
          yield* jobs.create([{ ...aJob("a", 1), state: "done" }, aJob("c", 3)])
          yield* jobs.setState(["b", "nope"], "paused", undefined, 5)
          yield* jobs.setState(["c"], "running", 99, 6)
          return yield* jobs.list
        })
      )
      expect(out.map((j) => [j.id, j.state, j.waitUntil])).toEqual([
        ["a", "running", undefined],
        ["b", "paused", undefined],
        ["c", "running", 99]
      ])
      expect(out[0]!.definition).toEqual(aJob("a", 1).definition)
    })

    test("counts keyed by any outcome text (dots, a leading $), the total and a resting note round-trip", async () => {
      const counts = { records: 7, "invalid: business is invalid: domain [domain] must be a host name such as shop.example.com": 2, $weird: 1 }
      const out = await run((jobs) =>
        Effect.gen(function* () {
          yield* jobs.create([aJob("noted", 1)])
          yield* jobs.setState(["noted"], "running", 50, 2, "daily API cap spent")
          const resting = (yield* jobs.list).find((j) => j.id === "noted")
          yield* jobs.setState(["noted"], "paused", undefined, 3)
          const paused = (yield* jobs.list).find((j) => j.id === "noted")
          yield* jobs.finish({ jobId: "noted", page: 0, cursor: "c", counts, total: 12, activeMs: 3, finishedAt: 4 })
          return { resting, paused, progress: yield* jobs.progress(["noted"]) }
        })
      )
      expect(out.resting).toMatchObject({ state: "running", waitUntil: 50, note: "daily API cap spent" })
      expect(out.paused?.note).toBeUndefined()
      expect(out.progress).toEqual([{ jobId: "noted", page: 0, cursor: "c", counts, total: 12, activeMs: 3, finishedAt: 4 }])
    })

    test("a page is finished once; progress is the last finished page", async () => {
      const out = await run((jobs) =>
        Effect.gen(function* () {
          const none = yield* jobs.progress(["job"])
          const first = yield* jobs.finish(aPage("job", 0, "c1"))
          const again = yield* jobs.finish(aPage("job", 0, "other"))
          yield* jobs.finish(aPage("job", 1, "c2"))
          yield* jobs.finish(aPage("job", 2, undefined))
          yield* jobs.finish(aPage("other", 0, "x"))
          return { none, first, again, progress: yield* jobs.progress(["job", "other", "nope"]) }
        })
      )
      expect(out.none).toEqual([])
      expect([out.first, out.again]).toEqual([true, false])
      expect([...out.progress].sort((a, b) => a.jobId.localeCompare(b.jobId))).toEqual([aPage("job", 2, undefined), aPage("other", 0, "x")])
    })

    test("remove deletes jobs with their pages and leases", async () => {
      const out = await run((jobs) =>
        Effect.gen(function* () {
          yield* jobs.create([aJob("job", 1), aJob("keep", 2)])
          yield* jobs.finish(aPage("job", 0, "c"))
          yield* jobs.finish(aPage("keep", 0, "c"))
          yield* jobs.lease(lease(1, "r1", 1_000), 0)
          yield* jobs.remove(["job"])
          yield* jobs.remove([])
          return { list: yield* jobs.list, progress: yield* jobs.progress(["job", "keep"]), relet: yield* jobs.lease(lease(1, "r2", 1_000), 0) }
        })
      )
      expect(out.list.map((j) => j.id)).toEqual(["keep"])
      expect(out.progress.map((p) => p.jobId)).toEqual(["keep"])
      expect(out.relet).toBe(true)
    })

    test("a live lease keeps others out; its holder renews it; it is taken over once expired", async () => {
      const out = await run((jobs) =>
        Effect.gen(function* () {
          return [
            yield* jobs.lease(lease(0, "r1", 1_000), 0),
            yield* jobs.lease(lease(0, "r2", 1_500), 500),
            yield* jobs.lease(lease(0, "r1", 2_000), 900),
            yield* jobs.lease(lease(0, "r2", 2_500), 1_500),
            yield* jobs.lease(lease(0, "r2", 3_000), 2_100),
            yield* jobs.lease(lease(0, "r1", 3_000), 2_200)
          ]
        })
      )
      expect(out).toEqual([true, false, true, false, true, false])
    })

    test("of replicas racing for a page, exactly one gets it; of racing finishes, exactly one counts", async () => {
      const out = await run((jobs) =>
        Effect.gen(function* () {
          const leases = yield* Effect.forEach(
            Array.from({ length: 6 }, (_, i) => `r${i}`),
            (holder) => jobs.lease(lease(3, holder, 10_000), 0),
            { concurrency: "unbounded" }
          )
          const finishes = yield* Effect.forEach(
            Array.from({ length: 6 }, (_, i) => i),
            (i) => jobs.finish(aPage("job", 3, `c${i}`)),
            { concurrency: "unbounded" }
          )
          return { leases, finishes }
        })
      )
      expect(out.leases.filter(Boolean)).toHaveLength(1)
      expect(out.finishes.filter(Boolean)).toHaveLength(1)
    })
  })
}
