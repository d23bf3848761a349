// The three sync flows end to end on the in-memory adapters: the same use cases and bus
// semantics the service runs, with a scripted commerce platform at the far end.
import { describe, expect, test } from "bun:test"
import { Effect, Exit, Layer, Option, Queue, type Scope } from "effect"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import * as InMemoryCrm from "../../src/adapters/memory/InMemoryCrm.ts"
import * as InMemoryWebhookInbox from "../../src/adapters/memory/InMemoryWebhookInbox.ts"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { CommerceApi } from "../../src/application/ports/CommerceApi.ts"
import { Crm } from "../../src/application/ports/Crm.ts"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { WebhookInbox } from "../../src/application/ports/WebhookInbox.ts"
import { relayOnce } from "../../src/application/RelayOutbox.ts"
import type { Envelope, Step } from "../../src/application/Step.ts"
import { withTuning } from "../../src/application/StepRegistry.ts"
import * as SyncWorkers from "../../src/application/SyncWorkers.ts"
import type { CompanyId, ContactId } from "../../src/domain/Ids.ts"
import { aBusiness, aUser } from "../domain/mothers.ts"
import { ackEach } from "../support/AckEach.ts"
import { crmIdOf, linkIds } from "../support/LinkLookups.ts"
import { memoryStorePorts, type StorePorts } from "../support/MemoryStorePorts.ts"

const tuning = { retryTiersMs: [50, 200], maxAttempts: 6, deliveryLimit: 3, prefetch: 1 }
const platform: Step = { name: "platform", bindings: ["tocommerce.#"], ...tuning }

const harness = Effect.gen(function* () {
  const crm = yield* InMemoryCrm.make()
  const commerce = yield* InMemoryCommerceApi.make()
  const adapters = InMemoryBus.layer.pipe(
    Layer.provideMerge(Layer.merge(InMemoryWebhookInbox.layer, memoryStorePorts())),
    Layer.provideMerge(Layer.succeed(Crm, crm)),
    Layer.provideMerge(Layer.succeed(CommerceApi, commerce))
  )
  const services = SyncWorkers.layer(withTuning(tuning)).pipe(Layer.provideMerge(adapters))
  return { crm, commerce, services }
})

/** Runs the service's three consumers plus a platform that records what it receives. */
const withFlows = <A, E>(body: (received: Queue.Queue<Envelope>) => Effect.Effect<A, E, MessageBus | WebhookInbox | StorePorts | Crm | Scope.Scope>) =>
  Effect.gen(function* () {
    const bus = yield* MessageBus
    const received = yield* Queue.unbounded<Envelope>()
    yield* bus.consume(
      platform,
      ackEach((m) => Queue.offer(received, m))
    )
    return yield* body(received)
  })

const takeN = (queue: Queue.Queue<Envelope>, n: number) => Effect.forEach(Array.from({ length: n }), () => Queue.take(queue).pipe(Effect.timeout("2 seconds")))
/** Re-runs `check` (expectations included) until it passes, for up to 3 s. */
const eventually = <A, E, R>(check: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const deadline = Date.now() + 3000
    for (;;) {
      const exit = yield* Effect.exit(check)
      if (Exit.isSuccess(exit) || Date.now() > deadline) return yield* exit
      yield* Effect.sleep("20 millis")
    }
  })
const quiet = (queue: Queue.Queue<Envelope>) => Effect.sleep("150 millis").pipe(Effect.andThen(Queue.size(queue)))
const relay = relayOnce({ claimant: "t", batchSize: 100, leaseMs: 10_000, idleMs: 10 })

const event = (entity: string, action: "created" | "updated", payload: Record<string, unknown>) => ({
  id: String(payload["id"]),
  type: routingKeys.commerceEvent(entity, action),
  payload: { id: String(payload["id"]), occurredAt: Date.parse(String(payload["updatedAt"])), payload },
  occurredAt: 0,
  lane: "live" as const
})

/** A test that runs the service's consumers on the in-memory adapters with a recording platform. */
const flowTest = (
  name: string,
  body: (h: {
    readonly crm: Effect.Success<typeof harness>["crm"]
    readonly received: Queue.Queue<Envelope>
  }) => Effect.Effect<void, unknown, MessageBus | WebhookInbox | StorePorts | Crm | Scope.Scope>
) => test(name, () => run(({ crm }) => withFlows((received) => body({ crm, received }))))

const run = <A, E>(program: (h: Effect.Success<typeof harness>) => Effect.Effect<A, E, MessageBus | WebhookInbox | StorePorts | Crm | Scope.Scope>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(harness, (h) => program(h).pipe(Effect.provide(h.services)))))

describe("flow A: a CRM company with contacts reaches the platform, and its ids come back", () => {
  flowTest("company + 3 contacts → business + 3 users; assigned ids are written onto HubSpot; the echo goes nowhere", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const bus = yield* MessageBus
      const companyId = yield* crm.seed("company", { name: "Acme", domain: "acme.example.com", country: "Germany" })
      const contactIds = yield* Effect.forEach([1, 2, 3], (n) => crm.seed("contact", { email: `p${n}@acme.example.com`, firstname: `P${n}` }))
      yield* crm.associate(contactIds.map((id) => ({ fromType: "contact", fromId: id, toType: "company", toId: companyId })))
      yield* inbox.store([{ key: "e1", objectType: "company", objectId: companyId, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      const messages = yield* takeN(received, 4)
      expect(messages.map((m) => m.type).sort()).toEqual([
        "tocommerce.business.upsert",
        "tocommerce.user.upsert",
        "tocommerce.user.upsert",
        "tocommerce.user.upsert"
      ])
      const business = messages.find((m) => m.type === "tocommerce.business.upsert")?.payload as { fields: Record<string, unknown> }
      expect(business.fields).toMatchObject({ name: "Acme", domain: "acme.example.com", country: "DE", crmId: companyId })
      const user = messages.find((m) => m.type === "tocommerce.user.upsert")?.payload as { links: Record<string, string> }
      expect(user.links).toEqual({ businessId: companyId })

      // The platform answers with the ids it assigned (flow B).
      const assigned = contactIds.map((id, i) => ({ entity: "user", crmId: id, commerceId: `u-${i + 1}` }))
      yield* bus.publish(assigned.map((payload, i) => ({ id: `a${i}`, type: routingKeys.commerceIds, payload, occurredAt: 2, lane: "live" as const })))
      yield* eventually(
        Effect.map(crm.read("contact", [contactIds[0] as ContactId]), ([contact]) => expect(contact?.properties["ecommerce_user_id"]).toBe("u-1"))
      )
      expect(Option.getOrUndefined(yield* crmIdOf("user", "u-1"))).toBe(contactIds[0])

      // HubSpot reports our write back as a propertyChange: dropped, nothing published.
      yield* inbox.store(
        [
          {
            key: "e2",
            objectType: "contact",
            objectId: contactIds[0]!,
            kind: "propertyChange",
            propertyName: "ecommerce_user_id",
            propertyValue: "u-1",
            occurredAt: Date.now() + 1000
          }
        ],
        0
      )
      yield* relay
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("contacts the platform took before their company are sent again, linked, once the company's id comes back", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const bus = yield* MessageBus
      const companyId = yield* crm.seed("company", { name: "Late Ltd", domain: "late.example.com" })
      const contactIds = yield* Effect.forEach([1, 2], (n) => crm.seed("contact", { email: `p${n}@late.example.com`, firstname: `P${n}` }))
      yield* crm.associate(contactIds.map((id) => ({ fromType: "contact", fromId: id, toType: "company", toId: companyId })))
      yield* inbox.store([{ key: "late", objectType: "company", objectId: companyId, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      expect((yield* takeN(received, 3)).map((m) => m.type)).toEqual(["tocommerce.business.upsert", "tocommerce.user.upsert", "tocommerce.user.upsert"])
      // The platform retried the business on its side and created the users first (their links
      // unresolved): their ids come back, the business's not yet. Nothing is sent meanwhile.
      const assign = (entity: string, crmId: string, commerceId: string) => ({
        id: `${entity}-${crmId}`,
        type: routingKeys.commerceIds,
        payload: { entity, crmId, commerceId },
        occurredAt: 2,
        lane: "live" as const
      })
      yield* bus.publish(contactIds.map((id, i) => assign("user", id, `u-${i + 1}`)))
      expect(yield* quiet(received)).toBe(0)
      // The business exists now: the users are sent again, with their link.
      yield* bus.publish([assign("business", companyId, "b-1")])
      const again = yield* takeN(received, 2)
      expect(again.map((m) => [m.type, (m.payload as { crmId: string; links: Record<string, string> }).links])).toEqual([
        ["tocommerce.user.upsert", { businessId: companyId }],
        ["tocommerce.user.upsert", { businessId: companyId }]
      ])
      expect(new Set(again.map((m) => (m.payload as { crmId: string }).crmId))).toEqual(new Set(contactIds))
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("a burst of events for one object is coalesced, and a redelivered event changes nothing", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const id = yield* crm.seed("contact", { email: "solo@example.com", firstname: "Solo" })
      const changes = [1, 2, 3].map((n) => ({
        key: `b${n}`,
        objectType: "contact" as const,
        objectId: id,
        kind: "propertyChange" as const,
        propertyName: "firstname",
        propertyValue: "Solo",
        occurredAt: n
      }))
      yield* inbox.store(changes, 0)
      yield* relay
      yield* takeN(received, 1)
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("the shop announcing what we just sent it is an echo: no HubSpot read, no write", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const bus = yield* MessageBus
      const id = yield* crm.seed("contact", { email: "echo@example.com", firstname: "Echo", lastname: "Back" })
      yield* inbox.store([{ key: "echo1", objectType: "contact", objectId: id, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      const [sent] = yield* takeN(received, 1)
      const fields = (sent!.payload as { fields: Record<string, unknown> }).fields
      const calls = { ...crm.calls }
      const payload = { ...fields, id: "u-echo", crmId: id, updatedAt: "2024-07-01T00:00:00.000Z" }
      yield* bus.publish([
        { id: "e", type: routingKeys.commerceEvent("user", "created"), payload: { id: "u-echo", occurredAt: 1, payload }, occurredAt: 1, lane: "live" }
      ])
      // The link is the handler's last visible act; once it exists, no call may have been made.
      yield* eventually(Effect.map(crmIdOf("user", "u-echo"), (linked) => expect(Option.getOrUndefined(linked)).toBe(id)))
      expect(crm.calls).toEqual(calls)
      expect(yield* Effect.flatMap(ParkedItems, (p) => p.list({}))).toEqual([])
    })
  )

  flowTest("a HubSpot edit the shop has not seen still travels after a shop update was written around it", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const bus = yield* MessageBus
      const id = yield* crm.seed("contact", { email: "race@example.com", firstname: "First" })
      yield* inbox.store([{ key: "r1", objectType: "contact", objectId: id, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      yield* takeN(received, 1)
      yield* bus.publish([
        { id: "a", type: routingKeys.commerceIds, payload: { entity: "user", crmId: id, commerceId: "u-race" }, occurredAt: 1, lane: "live" }
      ])
      yield* eventually(Effect.map(crmIdOf("user", "u-race"), (linked) => expect(Option.isSome(linked)).toBe(true)))
      // HubSpot is edited; before its webhook is handled, a shop update (another field) arrives.
      yield* crm.update("contact", [{ id: id as ContactId, properties: { firstname: "Third" } }])
      const shop = aUser({ id: "u-race", email: "race@example.com", firstName: "First", lastName: "FromShop", updatedAt: "2030-01-01T00:00:00.000Z" })
      yield* bus.publish([event("user", "updated", shop)])
      yield* eventually(Effect.map(crm.read("contact", [id as ContactId]), ([c]) => expect(c?.properties["lastname"]).toBe("FromShop")))
      const [edited] = yield* crm.read("contact", [id as ContactId])
      yield* inbox.store(
        [
          {
            key: "r2",
            objectType: "contact",
            objectId: id,
            kind: "propertyChange",
            propertyName: "firstname",
            propertyValue: "Third",
            occurredAt: edited!.updatedAt
          }
        ],
        0
      )
      yield* relay
      let upsert: Envelope | undefined
      while (upsert === undefined) {
        const [next] = yield* takeN(received, 1)
        if (next?.type === "tocommerce.user.upsert") upsert = next
      }
      expect((upsert.payload as { fields: Record<string, unknown> }).fields).toMatchObject({ firstName: "Third" })
    })
  )

  flowTest("the shop moving a user to another business within the echo window is news, not an echo", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const bus = yield* MessageBus
      const [first, second] = yield* Effect.forEach(["First Co", "Second Co"], (name) => crm.seed("company", { name }))
      yield* linkIds("business", first!, "b-first")
      yield* linkIds("business", second!, "b-second")
      const id = yield* crm.seed("contact", { email: "mover@example.com", firstname: "Mover" })
      yield* crm.associate([{ fromType: "contact", fromId: id, toType: "company", toId: first! }])
      yield* inbox.store([{ key: "m1", objectType: "contact", objectId: id, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      const sent = yield* takeN(received, 2)
      const fields = (sent.find((m) => m.type === "tocommerce.user.upsert")!.payload as { fields: Record<string, unknown> }).fields
      const moved = { ...fields, id: "u-mover", crmId: id, businessId: "b-second", updatedAt: "2031-01-01T00:00:00.000Z" }
      yield* bus.publish([event("user", "updated", moved)])
      yield* eventually(Effect.map(crm.read("contact", [id as ContactId]), ([c]) => expect(c?.companyIds).toContain(second as CompanyId)))
    })
  )

  flowTest("a HubSpot change to a property the shop does not carry sends nothing", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const id = yield* crm.seed("contact", { email: "quiet@example.com", firstname: "Quiet" })
      yield* inbox.store([{ key: "q1", objectType: "contact", objectId: id, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      yield* takeN(received, 1)
      yield* linkIds("user", id, "u-quiet")
      yield* crm.update("contact", [{ id: id as ContactId, properties: { jobtitle: "CTO" } }])
      const [edited] = yield* crm.read("contact", [id as ContactId])
      yield* inbox.store(
        [
          {
            key: "q2",
            objectType: "contact",
            objectId: id,
            kind: "propertyChange",
            propertyName: "jobtitle",
            propertyValue: "CTO",
            occurredAt: edited!.updatedAt
          }
        ],
        0
      )
      yield* relay
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("an invalid CRM record is parked with the field named; nothing is published", ({ crm, received }) =>
    Effect.gen(function* () {
      const inbox = yield* WebhookInbox
      const id = yield* crm.seed("company", { name: "Bad", domain: "NOT A DOMAIN" })
      yield* inbox.store([{ key: "c1", objectType: "company", objectId: id, kind: "creation", occurredAt: 1 }], 0)
      yield* relay
      expect(yield* quiet(received)).toBe(0)
      const parked = yield* Effect.flatMap(ParkedItems, (p) => p.list({}))
      expect(parked).toHaveLength(1)
      expect(parked[0]?.reason).toContain("domain [domain]")
    })
  )
})

describe("flow C: commerce events become HubSpot records with their associations", () => {
  flowTest("a business, then a user of it: contact associated with the company, HubSpot ids sent back", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.publish([event("business", "created", aBusiness({ id: "b-9" }))])
      const [bizIds] = yield* takeN(received, 1)
      expect(bizIds?.type).toBe("tocommerce.ids.assigned")
      yield* bus.publish([event("user", "created", aUser({ id: "u-9", businessId: "b-9" }))])
      const [userIds] = yield* takeN(received, 1)
      const contactId = (userIds!.payload as { crmId: string }).crmId
      const [contact] = yield* crm.read("contact", [contactId as ContactId])
      expect(contact?.properties).toMatchObject({ email: "ada@example.com", ecommerce_user_id: "u-9", country: "United Kingdom" })
      const companyId = Option.getOrThrow(yield* crmIdOf("business", "b-9"))
      expect(contact?.companyIds).toEqual([companyId as CompanyId])
    })
  )

  flowTest("a user deleted on the shop archives the contact; HubSpot's deletion webhook is our echo", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const inbox = yield* WebhookInbox
      yield* bus.publish([event("user", "created", aUser({ id: "u-del" }))])
      const [ids] = yield* takeN(received, 1)
      const crmId = (ids!.payload as { crmId: ContactId }).crmId
      yield* bus.publish([
        { id: "d1", type: routingKeys.commerceEvent("user", "deleted"), payload: { id: "u-del", occurredAt: 5 }, occurredAt: 5, lane: "live" }
      ])
      yield* eventually(Effect.map(crm.read("contact", [crmId]), (records) => expect(records).toEqual([])))
      yield* inbox.store([{ key: "del", objectType: "contact", objectId: crmId, kind: "deletion", occurredAt: Date.now() }], 0)
      yield* relay
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("a contact we created is later linked to a company in HubSpot: the link reaches the shop", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const inbox = yield* WebhookInbox
      yield* bus.publish([event("user", "created", aUser({ id: "u-link" }))])
      const [ids] = yield* takeN(received, 1)
      const contactId = (ids!.payload as { crmId: ContactId }).crmId
      const companyId = yield* crm.seed("company", { name: "Later Ltd" })
      yield* crm.associate([{ fromType: "contact", fromId: contactId, toType: "company", toId: companyId }])
      yield* inbox.store(
        [
          {
            key: "assoc",
            objectType: "contact",
            objectId: contactId,
            kind: "associationChange",
            associatedObjectType: "company",
            associatedObjectId: companyId,
            occurredAt: Date.now()
          }
        ],
        0
      )
      yield* relay
      const messages = yield* takeN(received, 2)
      const user = messages.find((m) => m.type === "tocommerce.user.upsert")?.payload as { links: Record<string, string> }
      expect(user.links).toEqual({ businessId: companyId })
    })
  )

  flowTest("a field edited on both sides goes to its owner: HubSpot keeps its first name, takes the shop's e-mail", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.publish([event("user", "created", aUser({ id: "u-both", updatedAt: "2024-06-01T00:00:00.000Z" }))])
      const [ids] = yield* takeN(received, 1)
      const contactId = (ids!.payload as { crmId: ContactId }).crmId
      yield* crm.update("contact", [{ id: contactId, properties: { firstname: "Edited in HubSpot" } }])
      yield* bus.publish([
        event("user", "updated", aUser({ id: "u-both", firstName: "Edited in shop", email: "new@example.com", updatedAt: "2024-06-02T00:00:00.000Z" }))
      ])
      yield* eventually(
        Effect.map(crm.read("contact", [contactId]), ([contact]) =>
          expect(contact?.properties).toMatchObject({ firstname: "Edited in HubSpot", email: "new@example.com" })
        )
      )
    })
  )

  flowTest("a deletion that overtakes the creation leaves a tombstone: the late created event brings nothing back", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const deletedAt = Date.parse("2024-06-05T00:00:00.000Z")
      yield* bus.publish([
        {
          id: "d-first",
          type: routingKeys.commerceEvent("user", "deleted"),
          payload: { id: "u-ghost", occurredAt: deletedAt },
          occurredAt: deletedAt,
          lane: "live"
        }
      ])
      yield* Effect.sleep("50 millis")
      yield* bus.publish([event("user", "created", aUser({ id: "u-ghost", email: "ghost@example.com", updatedAt: "2024-06-01T00:00:00.000Z" }))])
      expect(yield* quiet(received)).toBe(0)
      expect(crm.calls.upsert).toBe(0)
    })
  )

  flowTest("a field cleared in HubSpot reaches the shop as null, although every other value is our own write", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const inbox = yield* WebhookInbox
      yield* bus.publish([event("user", "created", aUser({ id: "u-clear" }))])
      const [ids] = yield* takeN(received, 1)
      const contactId = (ids!.payload as { crmId: ContactId }).crmId
      // A person clears the phone: HubSpot reports the clear as an empty value.
      yield* crm.update("contact", [{ id: contactId, properties: { phone: null } }])
      const [cleared] = yield* crm.read("contact", [contactId])
      yield* inbox.store(
        [
          {
            key: "clr",
            objectType: "contact",
            objectId: contactId,
            kind: "propertyChange",
            propertyName: "phone",
            propertyValue: "",
            occurredAt: cleared!.updatedAt
          }
        ],
        0
      )
      yield* relay
      const [upsert] = yield* takeN(received, 1)
      expect(upsert?.type).toBe("tocommerce.user.upsert")
      expect((upsert!.payload as { fields: Record<string, unknown> }).fields["phone"]).toBeNull()
    })
  )

  flowTest("the shop's echo of a patch we sent is recognised whole: no HubSpot read", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const inbox = yield* WebhookInbox
      yield* bus.publish([event("user", "created", aUser({ id: "u-patch" }))])
      const [ids] = yield* takeN(received, 1)
      const contactId = (ids!.payload as { crmId: ContactId }).crmId
      yield* crm.update("contact", [{ id: contactId, properties: { firstname: "Patched" } }])
      const [edited] = yield* crm.read("contact", [contactId])
      yield* inbox.store(
        [
          {
            key: "p1",
            objectType: "contact",
            objectId: contactId,
            kind: "propertyChange",
            propertyName: "firstname",
            propertyValue: "Patched",
            occurredAt: edited!.updatedAt
          }
        ],
        0
      )
      yield* relay
      const [patch] = yield* takeN(received, 1)
      expect(Object.keys((patch!.payload as { fields: Record<string, unknown> }).fields)).toEqual(["crmId", "firstName"])
      const calls = { ...crm.calls }
      // The shop applies the patch and announces its whole record: every field is what we left it with.
      yield* bus.publish([event("user", "updated", aUser({ id: "u-patch", firstName: "Patched", crmId: contactId, updatedAt: "2024-05-03T10:00:00.000Z" }))])
      yield* Effect.sleep("200 millis")
      expect(crm.calls).toEqual(calls)
    })
  )

  flowTest("a person setting a field back to the value we wrote (A→B→A) reaches the shop; a change attributed to us does not", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const inbox = yield* WebhookInbox
      yield* bus.publish([event("user", "created", aUser({ id: "u-aba", firstName: "Ada" }))])
      const [ids] = yield* takeN(received, 1)
      const contactId = (ids!.payload as { crmId: ContactId }).crmId
      const personSets = (key: string, firstname: string) =>
        Effect.gen(function* () {
          yield* crm.update("contact", [{ id: contactId, properties: { firstname } }])
          const [edited] = yield* crm.read("contact", [contactId])
          yield* inbox.store(
            [
              {
                key,
                objectType: "contact",
                objectId: contactId,
                kind: "propertyChange",
                propertyName: "firstname",
                propertyValue: firstname,
                occurredAt: edited!.updatedAt,
                origin: "others"
              }
            ],
            0
          )
          yield* relay
          const [upsert] = yield* takeN(received, 1)
          return (upsert!.payload as { fields: Record<string, unknown> }).fields["firstName"]
        })
      expect(yield* personSets("aba1", "Bea")).toBe("Bea")
      expect(yield* personSets("aba2", "Ada")).toBe("Ada")
      // Our own app's write, reported as such, is dropped whatever its value.
      yield* crm.update("contact", [{ id: contactId, properties: { firstname: "Cy" } }])
      const [ours] = yield* crm.read("contact", [contactId])
      yield* inbox.store(
        [
          {
            key: "aba3",
            objectType: "contact",
            objectId: contactId,
            kind: "propertyChange",
            propertyName: "firstname",
            propertyValue: "Cy",
            occurredAt: ours!.updatedAt,
            origin: "us"
          }
        ],
        0
      )
      yield* relay
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("a clear we wrote to HubSpot (the shop cleared the field) is our own echo", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      const inbox = yield* WebhookInbox
      yield* bus.publish([event("user", "created", aUser({ id: "u-own-clear" }))])
      const [ids] = yield* takeN(received, 1)
      const contactId = (ids!.payload as { crmId: ContactId }).crmId
      yield* bus.publish([event("user", "updated", aUser({ id: "u-own-clear", phone: null, updatedAt: "2024-05-02T10:00:00.000Z" }))])
      yield* eventually(Effect.map(crm.read("contact", [contactId]), ([c]) => expect(c?.properties["phone"] ?? null).toBeNull()))
      // The shop's event did not carry the crmId, so its HubSpot id is sent again.
      const [again] = yield* takeN(received, 1)
      expect(again?.type).toBe(routingKeys.crmIds)
      const [cleared] = yield* crm.read("contact", [contactId])
      yield* inbox.store(
        [
          {
            key: "own-clr",
            objectType: "contact",
            objectId: contactId,
            kind: "propertyChange",
            propertyName: "phone",
            propertyValue: "",
            occurredAt: cleared!.updatedAt
          }
        ],
        0
      )
      yield* relay
      expect(yield* quiet(received)).toBe(0)
    })
  )

  flowTest("an update for an entity the shop no longer serves (404) that we synced before is done at once, not retried and parked", ({ received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.publish([event("user", "created", aUser({ id: "u-gone" }))])
      yield* takeN(received, 1)
      // An id-only event: the platform's API no longer has the user (it was deleted meanwhile).
      yield* bus.publish([
        { id: "g1", type: routingKeys.commerceEvent("user", "updated"), payload: { id: "u-gone", occurredAt: 5 }, occurredAt: 5, lane: "live" }
      ])
      // The retry tiers (50, 200 ms, 6 attempts) would park it within about a second.
      yield* Effect.sleep("1500 millis")
      expect(yield* Effect.flatMap(ParkedItems, (p) => p.list({}))).toEqual([])
    })
  )

  flowTest("an older version of a user never overwrites a newer one", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.publish([event("user", "updated", aUser({ id: "u-1", firstName: "New", updatedAt: "2024-06-02T00:00:00.000Z" }))])
      const [ids] = yield* takeN(received, 1)
      yield* bus.publish([event("user", "updated", aUser({ id: "u-1", firstName: "Old", updatedAt: "2024-06-01T00:00:00.000Z" }))])
      yield* Effect.sleep("100 millis")
      const [contact] = yield* crm.read("contact", [(ids!.payload as { crmId: ContactId }).crmId])
      expect(contact?.properties["firstname"]).toBe("New")
    })
  )

  flowTest("a user whose business is not in HubSpot yet is retried until the business arrives", ({ crm, received }) =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.publish([event("user", "created", aUser({ id: "u-early", businessId: "b-late" }))])
      yield* Effect.sleep("10 millis")
      yield* bus.publish([event("business", "created", aBusiness({ id: "b-late" }))])
      const messages = yield* takeN(received, 2)
      const userIds = messages.find((m) => (m.payload as { entity: string }).entity === "user")
      const [contact] = yield* crm.read("contact", [(userIds!.payload as { crmId: ContactId }).crmId])
      expect(contact?.companyIds).toEqual([Option.getOrThrow(yield* crmIdOf("business", "b-late")) as CompanyId])
      expect(yield* Effect.flatMap(ParkedItems, (p) => p.list({}))).toEqual([])
    })
  )

  flowTest("an invalid user is parked at once, naming every broken field", () =>
    Effect.gen(function* () {
      const bus = yield* MessageBus
      yield* bus.publish([event("user", "created", aUser({ id: "u-bad", email: "nope", phone: "123" }))])
      const [parked] = yield* eventually(
        Effect.map(
          Effect.flatMap(ParkedItems, (p) => p.list({})),
          (items) => {
            expect(items).toHaveLength(1)
            return items
          }
        )
      )
      expect(parked?.reason).toContain("email [email]")
      expect(parked?.reason).toContain("phone [phone]")
      expect(parked?.attempts).toBe(1)
    })
  )
})
