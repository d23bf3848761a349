// The in-memory adapters (the default `bun start`) hold a bounded amount (issue 9 #13).
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as InMemorySnapshots from "../../src/adapters/memory/InMemorySnapshots.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import * as InMemoryWriteLedger from "../../src/adapters/memory/InMemoryWriteLedger.ts"
import type { CrmSnapshot } from "../../src/application/ports/Snapshots.ts"

const snapshot = (id: string): CrmSnapshot =>
  ({ type: "contact", id, version: 1, record: { id, properties: {}, updatedAt: 1, companyIds: [] } }) as unknown as CrmSnapshot
const ids = (found: ReadonlyArray<{ readonly id: string }>) => found.map((s) => s.id).sort()

describe("memory bounds", () => {
  test("snapshots keep at most the bound per side, least recently used dropped first", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* InMemorySnapshots.makeBounded(2)
        yield* store.saveCrm([snapshot("a"), snapshot("b")])
        yield* store.getCrm([{ type: "contact", id: "a" }]) // a is used: b is now the oldest
        yield* store.saveCrm([snapshot("c")])
        expect(ids(yield* store.getCrm(["a", "b", "c"].map((id) => ({ type: "contact" as const, id }))))).toEqual(["a", "c"])
      })
    ))

  test("the write ledger keeps at most the bound of objects, least recently written dropped first", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const ledger = yield* InMemoryWriteLedger.makeBounded(2)
        const entry = (objectKey: string) => ({ side: "crm" as const, objectKey, property: "p", valueHash: "h", expiresAt: Number.MAX_SAFE_INTEGER })
        yield* ledger.record([entry("o1"), entry("o2")])
        yield* ledger.record([entry("o3")])
        const found = yield* ledger.find(
          ["o1", "o2", "o3"].map((objectKey) => ({ side: "crm" as const, objectKey })),
          0
        )
        expect(found.map((e) => e.objectKey).sort()).toEqual(["o2", "o3"])
      })
    ))

  test("the webhook inbox keeps at most the cap of published keys: the oldest go first", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const inbox = yield* InMemoryWebhookInbox.make(60 * 60_000, 2)
        const change = (key: string) => ({ key, objectType: "contact" as const, objectId: key, kind: "creation" as const, occurredAt: 1 })
        for (const key of ["k1", "k2", "k3"]) {
          yield* inbox.store([change(key)], 0)
          const batch = yield* inbox.claim({ limit: 10, claimant: "t", now: 0, leaseMs: 1000 })
          yield* inbox.markPublished(batch)
        }
        // k1 was evicted: its redelivery is stored again; k2 and k3 are still recognised.
        expect(yield* inbox.store([change("k1"), change("k2"), change("k3")], 1)).toEqual({ stored: 1, duplicates: 2 })
      })
    ))
})
