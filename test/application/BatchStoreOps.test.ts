// A batch of 100 entities costs the store well under one operation per entity and HubSpot many
// records per call: counted at the ports, on the memory adapters.

import { describe, expect, test } from "bun:test"
import { Clock, Effect, Layer } from "effect"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { commerceWrites } from "../../src/application/LedgerEntries.ts"
import { CommerceApi } from "../../src/application/ports/CommerceApi.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { StoreError, StoreUnavailable } from "../../src/application/ports/StoreError.ts"
import { WriteLedger } from "../../src/application/ports/WriteLedger.ts"
import type { Envelope, OutgoingMessage } from "../../src/application/Step.ts"
import { syncCommerceEvents } from "../../src/application/SyncCommerceEvents.ts"
import { syncCrmChanges } from "../../src/application/SyncCrmChanges.ts"
import { aUser } from "../domain/mothers.ts"
import { makeStoreCounter } from "../support/CountingStore.ts"
import { memoryStorePorts } from "../support/MemoryStorePorts.ts"
import { publishOnlyBus } from "../support/PublishOnlyBus.ts"

const BATCH = 100

const harness = Effect.gen(function* () {
  const crm = yield* InMemoryCrm.make()
  const commerce = yield* InMemoryCommerceApi.make()
  const counter = makeStoreCounter()
  const published: Array<OutgoingMessage> = []
  const bus = publishOnlyBus((messages) => {
    published.push(...messages)
  })
  const layer = Layer.mergeAll(counter.layer(memoryStorePorts()), Layer.succeed(Crm, crm), Layer.succeed(CommerceApi, commerce), Layer.succeed(MessageBus, bus))
  return { crm, counter, published, layer }
})

const envelope = (i: number, type: string, payload: unknown): Envelope => ({ id: `m${i}`, type, payload, occurredAt: 0, lane: "live", attempt: 1 })

describe("store operations and HubSpot calls per batch", () => {
  test(`flow A: ${BATCH} contacts of 10 companies cost ≤ 1 store operation each and 2 HubSpot reads`, async () => {
    const { crm, counter, published, layer } = await Effect.runPromise(harness)
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const companies = yield* Effect.forEach(
          Array.from({ length: 10 }, (_, i) => i),
          (i) => crm.seed("company", { name: `Co ${i}`, domain: `co${i}.example.com` })
        )
        const contacts = yield* Effect.forEach(
          Array.from({ length: BATCH }, (_, i) => i),
          (i) => crm.seed("contact", { email: `p${i}@example.com`, firstname: `P${i}` })
        )
        yield* crm.associate(contacts.map((id, i) => ({ fromType: "contact", fromId: id, toType: "company", toId: companies[i % 10]! })))
        const calls = { ...crm.calls }
        const messages = contacts.map((id, i) =>
          envelope(i, "crm.contact.propertyChange", { key: `k${i}`, objectType: "contact", objectId: id, kind: "creation", occurredAt: 1 })
        )
        const results = yield* syncCrmChanges(messages)
        return { results, reads: crm.calls.read - calls.read }
      }).pipe(Effect.provide(layer))
    )
    // The companies are new to the shop (no shop id yet): every contact is sent now, and its
    // message is retried to send the link again once its company's id is known.
    expect(result.results.every((r) => r?.retryable === true && r.reason.includes("may not hold yet"))).toBe(true)
    expect(published.filter((m) => m.type === routingKeys.upsert("user"))).toHaveLength(BATCH)
    expect(published.filter((m) => m.type === routingKeys.upsert("business"))).toHaveLength(10)
    // Contacts in one read, their companies in another: 55 records a call.
    expect(result.reads).toBe(2)
    expect(counter.counts()).toEqual({ "Snapshots.getCrm": 2, "WriteLedger.find": 2, "IdLinks.find": 1, "WriteLedger.record": 1, "Snapshots.saveCrm": 1 })
  })

  test(`flow C: ${BATCH} new users cost ≤ 1 store operation each and one HubSpot upsert`, async () => {
    const { crm, counter, published, layer } = await Effect.runPromise(harness)
    const messages = Array.from({ length: BATCH }, (_, i) => {
      const user = aUser({ id: `u${i}`, email: `u${i}@example.com` })
      return envelope(i, routingKeys.commerceEvent("user", "created"), { id: `u${i}`, occurredAt: 1, payload: user })
    })
    const { results, counts, entries } = await Effect.runPromise(
      Effect.gen(function* () {
        const results = yield* syncCommerceEvents(messages)
        const counts = counter.counts()
        const created = published.filter((m) => m.type === routingKeys.crmIds).map((m) => (m.payload as { readonly crmId: string }).crmId)
        const entries = yield* (yield* WriteLedger).find(
          created.map((id) => ({ side: "crm" as const, objectKey: `contact:${id}` })),
          0
        )
        return { results, counts, entries }
      }).pipe(Effect.provide(layer))
    )
    expect(results.every((r) => r === undefined)).toBe(true)
    expect(published.filter((m) => m.type === routingKeys.crmIds)).toHaveLength(BATCH)
    // What HubSpot created and when it landed carry one time, so a record's entries are one stored document.
    expect(new Set(entries.map((e) => e.objectKey)).size).toBe(BATCH)
    expect(entries.every((e) => e.expiresAt === entries[0]?.expiresAt)).toBe(true)
    expect(crm.calls.upsert).toBe(1)
    expect(crm.calls.read).toBe(0)
    expect(counts).toEqual({
      "Snapshots.getCommerce": 1,
      "IdLinks.find": 1,
      "WriteLedger.record": 1,
      "Snapshots.saveCrm": 1,
      "IdLinks.link": 1,
      "Snapshots.saveCommerce": 1
    })
  })

  test(`flow C: a link write that fails fails the batch; its retry links every user, one CRM record each`, async () => {
    const { crm, published, layer } = await Effect.runPromise(harness)
    const messages = Array.from({ length: BATCH }, (_, i) => {
      const user = aUser({ id: `u${i}`, email: `u${i}@example.com` })
      return envelope(i, routingKeys.commerceEvent("user", "created"), { id: `u${i}`, occurredAt: 1, payload: user })
    })
    let failOnce = true
    const { first, second, links } = await Effect.runPromise(
      Effect.gen(function* () {
        const idLinks = yield* IdLinks
        const flaky = IdLinks.of({
          ...idLinks,
          link: (list) =>
            failOnce
              ? Effect.suspend(() => {
                  failOnce = false
                  return Effect.fail(new StoreError({ reason: new StoreUnavailable({ message: "store down" }) }))
                })
              : idLinks.link(list)
        })
        const run = syncCommerceEvents(messages).pipe(
          Effect.provideService(IdLinks, flaky),
          Effect.catch((f) => Effect.succeed(messages.map(() => f)))
        )
        const first = yield* run
        const second = yield* run
        const links = yield* idLinks.find({ commerceIds: messages.map((_, i) => ({ entity: "user" as const, id: `u${i}` })) })
        return { first, second, links }
      }).pipe(Effect.provide(layer))
    )
    expect(first.every((r) => r?.retryable === true)).toBe(true)
    expect(second.every((r) => r === undefined)).toBe(true)
    expect(new Set(links.map((l) => l.commerceId)).size).toBe(BATCH)
    // The retry's upsert matched the records the first created (by commerce id): none twice.
    expect(new Set(links.map((l) => l.crmId)).size).toBe(BATCH)
    expect(crm.calls.upsert).toBe(2)
    // The shop may hear an id twice (once per try): it records the same id again.
    const sent = published.filter((m) => m.type === routingKeys.crmIds).map((m) => (m.payload as { readonly crmId: string }).crmId)
    expect(new Set(sent)).toEqual(new Set(links.map((l) => l.crmId)))
  })

  test(`flow C: ${BATCH} shop events that are our own writes (echoes) read no CRM snapshot and call HubSpot not at all`, async () => {
    const { crm, counter, layer } = await Effect.runPromise(harness)
    const users = Array.from({ length: BATCH }, (_, i) => ({ ...aUser({ id: `u${i}`, email: `u${i}@example.com` }), id: `u${i}`, crmId: `c${i}` }))
    const results = await Effect.runPromise(
      Effect.gen(function* () {
        // What flow A leaves behind when it writes these users to the shop: their links and ledger entries.
        yield* (yield* IdLinks).link(users.map((u) => ({ entity: "user" as const, crmId: u.crmId, commerceId: String(u.id) })))
        const now = yield* Clock.currentTimeMillis
        yield* (yield* WriteLedger).record(users.flatMap((u) => commerceWrites("user", u.crmId, u, now)))
        counter.reset()
        return yield* syncCommerceEvents(
          users.map((u, i) => envelope(i, routingKeys.commerceEvent("user", "created"), { id: u.id, occurredAt: 1, payload: u }))
        )
      }).pipe(Effect.provide(layer))
    )
    expect(results.every((r) => r === undefined)).toBe(true)
    expect([crm.calls.read, crm.calls.update, crm.calls.upsert]).toEqual([0, 0, 0])
    expect(counter.counts()["Snapshots.getCrm"]).toBeUndefined()
    expect(counter.counts()["WriteLedger.find"]).toBe(1)
  })

  test(`flow C: ${BATCH} changes to linked users write no link again`, async () => {
    const { crm, counter, layer } = await Effect.runPromise(harness)
    const event = (i: number, action: "created" | "updated", over: Record<string, unknown>) => {
      const user = aUser({ id: `u${i}`, email: `u${i}@example.com`, ...over })
      return envelope(i, routingKeys.commerceEvent("user", action), { id: `u${i}`, occurredAt: 1, payload: user })
    }
    const ids = Array.from({ length: BATCH }, (_, i) => i)
    const results = await Effect.runPromise(
      Effect.gen(function* () {
        yield* syncCommerceEvents(ids.map((i) => event(i, "created", {})))
        counter.reset()
        return yield* syncCommerceEvents(ids.map((i) => event(i, "updated", { firstName: `New${i}`, updatedAt: "2024-05-02T10:00:00.000Z" })))
      }).pipe(Effect.provide(layer))
    )
    expect(results.every((r) => r === undefined)).toBe(true)
    expect(crm.calls.update).toBe(1)
    expect(counter.counts()).toEqual({
      "Snapshots.getCommerce": 1,
      "IdLinks.find": 1,
      // Our writes to the shop (echoes), then, beside HubSpot's read, our writes to HubSpot (the merge).
      "WriteLedger.find": 2,
      "Snapshots.getCrm": 1,
      "WriteLedger.record": 2,
      "Snapshots.saveCrm": 1,
      "Snapshots.saveCommerce": 1
    })
  })
})
