// Flow A over records a backfill page listed ahead: it reads none of them again, and judges them
// by when their read began (the stale-read guard of issue 9 #10), not by when the flow ran.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { crmWrites, crmWritesLanded } from "../../src/application/LedgerEntries.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { WriteLedger } from "../../src/application/ports/WriteLedger.ts"
import { ReadAhead, recordKey } from "../../src/application/ReadCrmRecords.ts"
import { crmChangeRoutingKey } from "../../src/application/RelayOutbox.ts"
import type { CrmRecord } from "../../src/application/ShopUpserts.ts"
import type { Envelope } from "../../src/application/Step.ts"
import { syncCrmChangesWith } from "../../src/application/SyncCrmChanges.ts"
import type { CrmChange } from "../../src/domain/CrmChange.ts"
import type { ContactId } from "../../src/domain/Ids.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"

const handler = syncCrmChangesWith({ fromStore: false, companyContacts: false, skipSyncedParents: true })

/** A contact listed `readAgoMs` ago showing "Paid", while our write of "Shipped" landed 1 s ago. */
const run = (readAgoMs: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const crm = yield* InMemoryCrm.make()
      const id = yield* crm.seed("contact", { email: "a@example.com", firstname: "Paid" })
      const [record] = yield* crm.read("contact", [id as ContactId])
      const readsBefore = crm.calls.read
      const now = Date.now()
      yield* (yield* WriteLedger).record([
        ...crmWrites("contact", id, { firstname: "Shipped" }, now - readAgoMs - 1_000),
        ...crmWritesLanded([{ type: "contact", id }], now - 1_000)
      ])
      const change: CrmChange = { key: `bf:${id}`, objectType: "contact", objectId: id, kind: "propertyChange", occurredAt: now }
      const envelope: Envelope = { id: "e1", type: crmChangeRoutingKey(change), payload: change, occurredAt: now, lane: "backfill", attempt: 1 }
      const listed: CrmRecord = { type: "contact", record: record! } as CrmRecord
      const failures = yield* handler([envelope]).pipe(
        Effect.provideService(ReadAhead, { records: new Map([[recordKey("contact", id), listed]]), readAt: now - readAgoMs }),
        Effect.provide(Layer.mergeAll(InMemoryBus.layer, Layer.succeed(Crm, crm)))
      )
      return { failure: failures[0], reads: crm.calls.read - readsBefore }
    }).pipe(Effect.provide(memoryStorePorts()))
  )

test("a record listed before our write landed, not showing it, is read again later instead of sent; listed after, it is sent; neither is read again now", async () => {
  const listedBefore = await run(5_000)
  expect(listedBefore.failure).toMatchObject({ retryable: true })
  expect(listedBefore.failure?.reason).toContain("read again")
  const listedAfter = await run(0)
  expect(listedAfter.failure).toBeUndefined()
  expect([listedBefore.reads, listedAfter.reads]).toEqual([0, 0])
})
