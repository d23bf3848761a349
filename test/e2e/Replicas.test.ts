// Several `bun start` replicas on one broker (its own vhost and AMQP prefix per test) and one
// FerretDB database (its own per test), both directions hammering the same linked records.
// Two workloads (LinkedHammer.ts): `together` writes every record on both sides at once each
// round; `turns` writes each record on one side only, in bursts, the sides swapping per round,
// with each round converged before the next.
// (c) reads `/readyz`'s `partitions`, which only the partitioning branch reports: before that
// lands, (c) fails on its first assertion, by design. The `together` test fails on the code of
// 2026-11-30 with one replica as well (a lost update between the directions, not an ordering
// across replicas): see the report of the branch `replicas-tests`.
import { afterEach, expect, test } from "bun:test"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { checkLinked, createLinked, hammerRound, type LinkedRecord, type RoundMode } from "../support/e2e/LinkedHammer.ts"
import { type Replica, type Replicas, replicasOf } from "../support/e2e/Replicas.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"

const RECORDS = 50
const ROUNDS = 6
const TURNS: RoundMode = { kind: "turns", burst: 3 }
const PARTITIONS = 8

describeMongo("several replicas: per-object order, SIGKILL, a replica joining", (mongoUrl) => {
  if (skipAmqp) {
    test.skipIf(true)("needs AMQP_URL", () => {})
    return
  }
  let running: Replicas | undefined
  afterEach(async () => {
    // A failed test still takes its processes down (only those it started).
    await running?.stop().catch(() => {})
    running = undefined
  }, 60_000)

  /** One test's replicas and records, and what each of its waits may still take. */
  interface Run {
    readonly replicas: Replicas
    readonly stack: Stack
    readonly records: ReadonlyArray<LinkedRecord>
    readonly tag: string
    /** `cap`, or less: a wait that gives up says why before bun's timeout, leaving time to stop. */
    readonly waitMs: (cap: number) => number
  }

  /** Two replicas (r1, r2) on a fresh vhost, prefix and database, and 50 linked records. */
  const begin = async (tag: string, testMs: number): Promise<Run> => {
    const endsAt = Date.now() + testMs - 25_000
    const stack = await startStack(mongoUrl, {
      webhookFront: true,
      prefix: `crm-sync-${tag}-${Math.random().toString(36).slice(2, 8)}`,
      // The budget must not be what this test waits on.
      hubspotBurstLimit: 5000,
      env: { HUBSPOT_BURST_LIMIT: "4000", REPLICA_ID: "r1", PARTITIONS: String(PARTITIONS) }
    })
    running = replicasOf(stack)
    await running.add("r2")
    const records = await createLinked(stack, RECORDS, tag)
    return { replicas: running, stack, records, tag, waitMs: (cap) => Math.max(1000, Math.min(cap, endsAt - Date.now())) }
  }

  /** Converged within `ms`; a failure also tells where messages still sit and what each replica holds. */
  const convergedWithin = async (run: Run, ms: number) => {
    await eventually(() => expect(checkLinked(run.stack, run.records, run.tag).problems.slice(0, 20)).toEqual([]), run.waitMs(ms), 250).catch(
      async (error: unknown) => {
        const queued = await run.replicas.busyQueues()
        const ready = await Promise.all(run.replicas.live().map((r) => run.replicas.readiness(r).catch(() => "no answer")))
        throw new Error(
          `${error instanceof Error ? error.message : error}\nqueues holding messages (ready/unacknowledged/consumers): ${queued.join(", ")}\n/readyz: ${JSON.stringify(ready)}`
        )
      }
    )
  }

  /** `together`: rounds back to back; `turns`: each round converged before the next. */
  const rounds = async (run: Run, from: number, to: number, mode: RoundMode) => {
    for (let round = from; round <= to; round++) {
      await hammerRound(run.stack, run.records, run.tag, round, mode)
      if (mode.kind === "together") await Bun.sleep(300)
      else await convergedWithin(run, 45_000)
    }
  }

  /** Converged, and still so a moment later (a late older write would show then); nothing parked. */
  const converges = async (run: Run, ms: number) => {
    await convergedWithin(run, ms)
    await run.stack.hubspot.flushWebhooks()
    await Bun.sleep(1500)
    expect(checkLinked(run.stack, run.records, run.tag).problems.slice(0, 20)).toEqual([])
    expect(await run.stack.parked()).toEqual([])
  }

  const stopsGracefully = async (run: Run, replica: Replica) => {
    const { code, ms } = await run.replicas.terminate(replica)
    // Printed: how close to the bound the shutdown came (the assertion alone hides a drift).
    console.log(`(${run.tag}) ${replica.id} exited ${code} after SIGTERM in ${ms} ms`)
    const last = code === 0 ? [] : replica.service.logs.slice(-6).map((l) => l["message"])
    expect({ replica: replica.id, code, last }).toEqual({ replica: replica.id, code: 0, last: [] })
    // The agreed "exit 0 within ~10 s", with some slack for a shared two-core machine.
    expect(ms).toBeLessThan(12_000)
  }

  /** Two replicas, `count` rounds, converged, both stopped with SIGTERM. */
  const hammered = async (tag: string, mode: RoundMode, count: number) => {
    const run = await begin(tag, 120_000)
    await rounds(run, 1, count, mode)
    await converges(run, 45_000)
    for (const replica of run.replicas.live()) await stopsGracefully(run, replica)
  }

  test(
    "(a) two replicas, both sides rewriting the same 50 linked records at once: last writes everywhere, never older over newer, no duplicates",
    () => hammered("a", { kind: "together" }, 4),
    120_000
  )

  test(
    "(a, in turns) two replicas, the same 50 records rewritten in bursts, one side after the other: every burst's last value everywhere, in order",
    () => hammered("t", TURNS, 4),
    120_000
  )

  test("(b) a replica SIGKILLed mid-run: its unacknowledged work is redelivered, nothing lost or duplicated, all converges", async () => {
    const run = await begin("b", 150_000)
    await rounds(run, 1, 2, TURNS)
    const victim = run.replicas.live().find((r) => r.id === "r2")!
    // Mid-run: the round just written is still in flight on the broker and in the replicas.
    await hammerRound(run.stack, run.records, run.tag, 3, TURNS)
    await run.replicas.kill(victim)
    // An object lease the killed replica held expires after 30 s; its messages wait that out.
    await convergedWithin(run, 75_000)
    await rounds(run, 4, ROUNDS, TURNS)
    await converges(run, 30_000)
    for (const replica of run.replicas.live()) await stopsGracefully(run, replica)
  }, 150_000)

  // Needs the partitioning branch: `/readyz` reports `partitions` only there.
  test("(c) a third replica joining mid-run takes partitions from the others, one leaving hands its own over, and the run converges", async () => {
    const run = await begin("c", 150_000)
    const { replicas } = run
    const held = async () => Object.fromEntries(await Promise.all(replicas.live().map(async (r) => [r.id, (await replicas.readiness(r)).partitions] as const)))
    /** Every partition held by exactly one live replica. */
    const coverOnce = async () => {
      const lists = await held()
      for (const [id, list] of Object.entries(lists)) expect({ id, partitions: Array.isArray(list) }).toEqual({ id, partitions: true })
      const all = Object.values(lists).flatMap((list) => list ?? [])
      expect(all.toSorted((x, y) => x - y)).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i))
      return lists
    }
    const before = await eventually(coverOnce, 20_000, 250)
    await rounds(run, 1, 2, TURNS)
    const joining = rounds(run, 3, ROUNDS, TURNS)
    const third = await replicas.add("r3")
    expect((await replicas.readiness(third)).replica).toBe("r3")
    const after = await eventually(
      async () => {
        const lists = await coverOnce()
        expect(lists["r3"]?.length ?? 0).toBeGreaterThan(0)
        expect((lists["r1"]?.length ?? 0) + (lists["r2"]?.length ?? 0)).toBeLessThan((before["r1"]?.length ?? 0) + (before["r2"]?.length ?? 0))
        return lists
      },
      20_000,
      250
    )
    expect(after["r1"]!.length + after["r2"]!.length + after["r3"]!.length).toBe(PARTITIONS)
    await joining
    // r2 leaves with SIGTERM: exit 0 within 10 s, and its partitions move to r1 and r3.
    await stopsGracefully(run, replicas.live().find((r) => r.id === "r2")!)
    await eventually(coverOnce, 20_000, 250)
    await converges(run, 30_000)
  }, 150_000)
})
