// Each store operation is a fixed number of round trips whatever the number of records: counted
// as the commands the driver sends, for 200 records at once.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, type Scope } from "effect"
import { type Db, MongoClient } from "mongodb"
import * as MongoIdLinks from "../../src/adapters/mongo/MongoIdLinks.ts"
import * as MongoParkedItems from "../../src/adapters/mongo/MongoParkedItems.ts"
import * as MongoSnapshots from "../../src/adapters/mongo/MongoSnapshots.ts"
import * as MongoWriteLedger from "../../src/adapters/mongo/MongoWriteLedger.ts"
import { Lane } from "../../src/application/Lane.ts"
import type { CompanyId } from "../../src/domain/Ids.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

const n = 200
const ids = Array.from({ length: n }, (_, i) => String(i))

describeMongo("Mongo store ports: round trips per call", (url) => {
  let client: MongoClient
  let db: Db
  let commands = 0
  beforeAll(async () => {
    client = new MongoClient(url, { monitorCommands: true })
    client.on("commandStarted", () => void commands++)
    await client.connect()
    db = client.db(freshDbName())
  })
  afterAll(() => client.close())

  /** The commands `effect` sends, once the adapter is built. */
  const trips = (effect: Effect.Effect<unknown, unknown>) =>
    Effect.runPromise(
      Effect.sync(() => {
        commands = 0
      }).pipe(Effect.andThen(effect), Effect.andThen(Effect.sync(() => commands))) as Effect.Effect<number>
    )
  const build = <S>(make: Effect.Effect<S, unknown, Scope.Scope>) => Effect.runPromise(Effect.scoped(make) as Effect.Effect<S>)

  test("snapshots: a save is at most 3 round trips (plus one per 50 equal versions), a read 1", async () => {
    const s = await build(MongoSnapshots.make(db))
    const snaps = (version: number) =>
      ids.map((id) => ({ type: "company" as const, id, version, record: { id: id as CompanyId, properties: {}, updatedAt: version, contactIds: [] } }))
    expect(await trips(s.saveCrm(snaps(1)))).toBeLessThanOrEqual(3)
    expect(await trips(s.saveCrm(snaps(2)))).toBeLessThanOrEqual(3)
    // 200 equal versions: their replaces go as 4 commands (FerretDB deadlocks on 100 in one).
    expect(await trips(s.saveCrm(snaps(2)))).toBe(2 + 4)
    expect(await trips(s.getCrm(ids.map((id) => ({ type: "company" as const, id }))))).toBe(1)
    expect(await trips(s.saveCommerce(ids.map((id) => ({ entity: "user" as const, id, version: 1, record: { id } }))))).toBeLessThanOrEqual(3)
    expect(await trips(s.getCommerce(ids.map((id) => ({ entity: "user" as const, id }))))).toBe(1)
  })

  // A find is one query per entity and side, sent at once (no server pushes an $or down to the index).
  test("id links: find 1 per entity and side, new links 1 (3 when stored already: the insert, then both sides' finds at once), repoint 2 (a find, then one update moves the link)", async () => {
    const l = await build(MongoIdLinks.make(db))
    const pairs = (crm: string) => ids.map((id) => ({ entity: "user" as const, crmId: `${crm}${id}`, commerceId: `u${id}` }))
    expect(await trips(l.link(pairs("c")))).toBe(1)
    expect(await trips(l.link(pairs("c")))).toBe(3)
    expect(await trips(l.link(pairs("m")))).toBeLessThanOrEqual(5)
    expect(await trips(l.find({ crmIds: ids.map((id) => ({ entity: "user" as const, id: `c${id}` })) }))).toBe(1)
    expect(await trips(l.find({ crmIds: ids.map((id) => ({ entity: "user" as const, id: `c${id}` })), commerceIds: [{ entity: "business", id: "b" }] }))).toBe(
      2
    )
    expect(
      await trips(
        l.repoint(
          "user",
          ids.map((id) => `m${id}`),
          "survivor"
        )
      )
    ).toBe(2)
    expect(await Effect.runPromise(l.find({ crmIds: [{ entity: "user", id: "survivor" }] }))).toHaveLength(1)
  })

  // FerretDB applies one write at a time: a live write waits for one command of a hundred, not a page.
  test("the backfill's inserts go as commands of 100 (snapshots, links, ledger); live work's whole", async () => {
    const s = await build(MongoSnapshots.make(db))
    const l = await build(MongoIdLinks.make(db))
    const ledger = await build(MongoWriteLedger.make(db))
    const backfill = (effect: Effect.Effect<unknown, unknown>) => trips(Effect.provideService(effect, Lane, "backfill"))
    // One find of what is stored, then the inserts.
    const snaps = (prefix: string) =>
      ids.map((id) => ({
        type: "company" as const,
        id: `${prefix}${id}`,
        version: 1,
        record: { id: `${prefix}${id}` as CompanyId, properties: {}, updatedAt: 1, contactIds: [] }
      }))
    expect(await backfill(s.saveCrm(snaps("b")))).toBe(1 + 2)
    expect(await trips(s.saveCrm(snaps("l")))).toBe(1 + 1)
    expect(await backfill(l.link(ids.map((id) => ({ entity: "user" as const, crmId: `b${id}`, commerceId: `bu${id}` }))))).toBe(2)
    const entries = ids.map((id) => ({ side: "crm" as const, objectKey: `b${id}`, property: "p", valueHash: "h", expiresAt: 10 }))
    expect(await backfill(ledger.record(entries))).toBe(2)
    expect(await trips(ledger.record(entries))).toBe(1)
  })

  test("write ledger and parked items: 1 each (upserts: 1 per 50)", async () => {
    const ledger = await build(MongoWriteLedger.make(db))
    const parked = await build(MongoParkedItems.make(db))
    expect(await trips(ledger.record(ids.map((id) => ({ side: "crm" as const, objectKey: id, property: "p", valueHash: "h", expiresAt: 10 }))))).toBe(1)
    expect(
      await trips(
        ledger.find(
          ids.map((id) => ({ side: "crm" as const, objectKey: id })),
          0
        )
      )
    ).toBe(1)
    const item = (id: string) => ({
      id,
      step: "s",
      message: { id, type: "t", payload: {}, occurredAt: 1, lane: "live" as const, attempt: 1 },
      reason: "r",
      attempts: 1,
      firstFailedAt: 1,
      lastFailedAt: 1,
      replayedAt: undefined
    })
    expect(await trips(parked.park(ids.slice(0, 50).map(item)))).toBe(1)
    expect(await trips(parked.park(ids.map(item)))).toBe(4)
    expect(await trips(parked.list({}))).toBe(1)
    expect(await trips(parked.markReplayed(ids, 2))).toBe(1)
  })
})
