// A process's backfill writes reach the store one at a time (FerretDB applies writes in arrival
// order, so a live write waits for every backfill command sent before it); live writes do not wait.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { runWrite, type Turn } from "../../src/adapters/mongo/MongoOp.ts"
import { Lane, type LaneName } from "../../src/application/Lane.ts"

/** A write of `commands` commands of `ms` each, logging when each starts and ends. */
const writer = (log: Array<string>, name: string, lane: LaneName, commands: number, ms = 30) =>
  runWrite(async (turn: Turn) => {
    for (let c = 1; c <= commands; c++) {
      if (c > 1) await turn?.()
      log.push(`${name}${c} start`)
      await Bun.sleep(ms)
      log.push(`${name}${c} end`)
    }
  }).pipe(Effect.provideService(Lane, lane))

const run = (writes: ReadonlyArray<Effect.Effect<void, unknown>>) => Effect.runPromise(Effect.all(writes, { concurrency: "unbounded", discard: true }))

test("backfill writes of one process never overlap, and one's turn between commands lets the next in", async () => {
  const log: Array<string> = []
  await run([writer(log, "a", "backfill", 2), writer(log, "b", "backfill", 1)])
  expect(log).toEqual(["a1 start", "a1 end", "b1 start", "b1 end", "a2 start", "a2 end"])
})

test("a live write runs beside a backfill write in flight", async () => {
  const log: Array<string> = []
  await run([writer(log, "a", "backfill", 1, 60), Effect.andThen(Effect.sleep(10), writer(log, "l", "live", 1, 10))])
  expect(log).toEqual(["a1 start", "l1 start", "l1 end", "a1 end"])
})

test("a failed backfill write gives its turn back", async () => {
  const failing = runWrite(() => Promise.reject(new Error("refused"))).pipe(Effect.provideService(Lane, "backfill"), Effect.flip)
  const log: Array<string> = []
  await run([failing, writer(log, "b", "backfill", 1)])
  expect(log).toEqual(["b1 start", "b1 end"])
})
