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
    budget: { burst: 190, intervalMs: 10_000, share: 0.5, maxShare: 0.8 },
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
  for (const bad of ["2", "-0.1", "half", ""])
    await expect(cli("start", "--direction", "crm-to-commerce", "--share", bad)).rejects.toMatchObject({
      code: "commander.invalidArgument",
      message: expect.stringMatching(/between 0.0 and 1.0/)
    })
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
  expect(report.slice(-6)).toEqual([
    expect.stringMatching(/^dry run dry-\S+: 30 records read and validated, nothing written \(\d+ CRM calls\)$/),
    "  would create  30",
    "  would update  0",
    "  unchanged     0",
    "  invalid       0",
    "estimated duration at share 0.5 of 190 calls / 10 s: 1 s"
  ])
  await replica
  await runtime.dispose()
}, 20_000)

test("--share is stored with the job, capped at the ceiling, and shown by list and status with the total and ETA", async () => {
  const { cli, runtime } = await setup()
  const asked = JSON.parse((await cli("start", "--direction", "crm-to-commerce", "--type", "company", "--share", "0.95", "--json"))[0]!) as { id: string }
  const plain = JSON.parse((await cli("start", "--direction", "crm-to-commerce", "--type", "company", "--page-size", "10", "--json"))[0]!) as {
    id: string
  }
  const listed = JSON.parse((await cli("list", "--json"))[0]!) as Array<{ id: string; share: number; shareAsked: number | null }>
  expect(listed.find((j) => j.id === asked.id)).toMatchObject({ share: 0.8, shareAsked: 0.95 })
  expect(listed.find((j) => j.id === plain.id)).toMatchObject({ share: 0.5, shareAsked: null })
  expect((await cli("status", asked.id))[0]).toContain("share=0.8")
  // Before its first page the total is unknown; after it, the CRM's count gives the total and an ETA.
  expect((await cli("status", plain.id))[0]).toContain("records=0/unknown")
  await cli("cancel", asked.id)
  await runtime.runPromise(runOnce({ holder: "replica", leaseMs: 10_000, idleMs: 10 }))
  const status = JSON.parse((await cli("status", plain.id, "--json"))[0]!) as { records: number; total: number; etaSeconds: number | null }
  expect(status).toMatchObject({ records: 10, total: 30 })
  expect(status.etaSeconds).toBeGreaterThanOrEqual(0)
  expect((await cli("status", plain.id))[0]).toMatch(/records=10\/30 .*eta=\d+ s/)
  await runtime.dispose()
})

test("the script exits 2 on a bad --share, before it touches the store, and --help exits 0 on every command", async () => {
  const root = new URL("../..", import.meta.url).pathname
  const run = async (...args: Array<string>) => {
    const child = Bun.spawn(["bun", "scripts/backfill.ts", ...args], {
      cwd: root,
      env: { ...process.env, MONGO_URL: "mongodb://127.0.0.1:1", MONGO_TIMEOUT_MS: "200" },
      stdout: "pipe",
      stderr: "pipe"
    })
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    return { out, err, code }
  }
  const bad = await run("start", "--direction", "crm-to-commerce", "--share", "1.5")
  expect(bad.code).toBe(2)
  expect(bad.err).toContain("--share must be a number between 0.0 and 1.0")
  for (const command of [[], ["start"], ["list"], ["status"], ["pause"], ["resume"], ["cancel"]]) {
    const help = await run(...command, "--help")
    expect(help.code).toBe(0)
    expect(help.out).toContain("Usage: backfill")
  }
}, 30_000)
