// The backfill CLI over a memory job store: commands write job definitions and states, read
// progress, refuse bad arguments, and a dry run started with it prints its report once a runner
// (here in-process, as a service replica would) has finished the job.
import { expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime } from "effect"
import { program } from "../../src/adapters/cli/BackfillCli.ts"
import * as InMemoryBackfillJobs from "../../src/adapters/memory/InMemoryBackfillJobs.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { runOnce } from "../../src/application/BackfillRunner.ts"
import type { BackfillJobs } from "../../src/application/ports/BackfillJobs.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const setup = async () => {
  const crm = await Effect.runPromise(InMemoryCrm.make())
  await Effect.runPromise(
    Effect.forEach(
      Array.from({ length: 30 }, (_, i) => i),
      (i) => crm.seed("company", { name: `Company ${i}` })
    )
  )
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(InMemoryBackfillJobs.layer, InMemoryBus.layer, Layer.succeed(Crm, crm), InMemoryCommerceApi.layer()).pipe(
      Layer.provideMerge(memoryStorePorts())
    )
  )
  const out: Array<string> = []
  const io = {
    run: <A, E>(e: Effect.Effect<A, E, BackfillJobs>) => runtime.runPromise(e),
    write: (l: string) => out.push(l),
    isTty: false,
    budget: { burst: 190, intervalMs: 10_000, share: 0.5 },
    pollMs: 20
  }
  const cli = async (...args: Array<string>) => {
    out.length = 0
    await program(io)
      .configureOutput({ writeErr: () => {}, writeOut: () => {} })
      .parseAsync(args, { from: "user" })
    return [...out]
  }
  return { cli, runtime }
}

test("start, list, pause, resume and cancel go through the store", async () => {
  const { cli, runtime } = await setup()
  const [started] = await cli("start", "--direction", "crm-to-commerce", "--type", "company", "--json")
  const { id } = JSON.parse(started!) as { id: string }
  const [listed] = await cli("list", "--json")
  expect(JSON.parse(listed!)).toMatchObject([{ id, state: "running", direction: "crm-to-commerce", types: ["company"], dryRun: false }])
  expect((await cli("pause", id))[0]).toContain(" paused ")
  await expect(cli("pause", id)).rejects.toMatchObject({ _tag: "JobFinished" })
  expect((await cli("resume", id))[0]).toContain(" running ")
  expect(JSON.parse((await cli("cancel", id, "--json"))[0]!)).toMatchObject({ id, state: "cancelled" })
  await expect(cli("status", "nope")).rejects.toMatchObject({ _tag: "JobNotFound" })
  await runtime.dispose()
})

test("bad arguments are refused before anything is written", async () => {
  const { cli, runtime } = await setup()
  await expect(cli("start", "--type", "company")).rejects.toThrow(/--direction/)
  await expect(cli("start", "--direction", "sideways")).rejects.toThrow(/choices/)
  await expect(cli("start", "--direction", "crm-to-commerce", "--share", "2")).rejects.toThrow(/between 0.0 and 1.0/)
  await expect(cli("start", "--direction", "crm-to-commerce", "--modified-since", "yesterday")).rejects.toThrow(/ISO-8601/)
  expect(await cli("list")).toEqual(["no jobs"])
  await runtime.dispose()
})

test("a dry run waits for the service to run it, then prints counts per outcome and the estimate", async () => {
  const { cli, runtime } = await setup()
  const replica = runtime.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < 200; i++) {
        yield* runOnce({ holder: "replica", leaseMs: 10_000, idleMs: 10 })
        yield* Effect.sleep("10 millis")
      }
    })
  )
  const report = await cli("start", "--direction", "crm-to-commerce", "--type", "company", "--dry-run", "--page-size", "10")
  expect(report.at(-4)).toMatch(/^dry run dry-\S+: 30 records read and validated, nothing written$/)
  expect(report.at(-3)).toMatch(/^ {2}unchanged {4,}0$/)
  expect(report.at(-2)).toMatch(/^ {2}would create {2}30$/)
  expect(report.at(-1)).toBe("estimated duration at share 0.5 of 190 calls / 10 s: 1 s")
  await replica
  await runtime.dispose()
}, 20_000)
