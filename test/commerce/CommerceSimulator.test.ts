// The commerce simulator's side of the tocommerce.* messages, over the in-memory bus.
import { describe, expect, test } from "bun:test"
import { Effect, Queue } from "effect"
import { routingKeys } from "../../src/application/CommerceMessages.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { CommerceSimulator, defaultStep } from "../support/commerce/CommerceSimulator.ts"
import { observe, runSim, send, upsert } from "./SimulatorHarness.ts"

const typesOf = (messages: ReadonlyArray<{ readonly type: string }>) => messages.map((m) => m.type)

describe("commerce simulator: tocommerce messages", () => {
  test("an upsert for a new CRM id assigns an id and publishes IdsAssigned once", async () => {
    const [ids, sim] = await runSim(
      Effect.gen(function* () {
        const seen = yield* observe
        yield* send(routingKeys.upsert("user"), upsert({ email: "a@example.com" }))
        yield* send(routingKeys.upsert("user"), upsert({ email: "a@example.com" }))
        const sim = yield* CommerceSimulator
        return [yield* Queue.take(seen), sim] as const
      })
    )
    expect(ids.type).toBe(routingKeys.commerceIds)
    expect(ids.payload).toEqual({ entity: "user", crmId: "c-100", commerceId: "u-1" })
    expect(typesOf(sim.published())).toEqual([routingKeys.commerceIds, "commerce.user_created"])
    expect(sim.received().map((r) => r.outcome)).toEqual(["created u-1", "unchanged u-1"])
    expect(sim.find("user", "u-1")?.record).toMatchObject({ id: "u-1", crmId: "c-100", email: "a@example.com" })
  })

  test("newest version wins: an older one is ignored, a newer one updates and publishes user_updated", async () => {
    const sim = await runSim(
      Effect.gen(function* () {
        yield* send(routingKeys.upsert("user"), upsert({ email: "v2@example.com" }, { version: 2 }))
        yield* send(routingKeys.upsert("user"), upsert({ email: "v1@example.com" }, { version: 1 }))
        yield* send(routingKeys.upsert("user"), upsert({ email: "v3@example.com" }, { version: 3 }))
        return yield* CommerceSimulator
      })
    )
    expect(sim.received().map((r) => r.outcome)).toEqual(["created u-1", "ignored: version 1 < 2", "updated u-1"])
    expect(sim.find("user", "u-1")).toMatchObject({ crmVersion: 3, record: { email: "v3@example.com" } })
    expect(typesOf(sim.published())).toEqual([routingKeys.commerceIds, "commerce.user_created", "commerce.user_updated"])
  })

  test("an upsert that changes nothing publishes nothing, unless echoNoopUpdates", async () => {
    const twice = Effect.gen(function* () {
      yield* send(routingKeys.upsert("user"), upsert({ email: "a@example.com" }, { version: 1 }))
      yield* send(routingKeys.upsert("user"), upsert({ email: "a@example.com" }, { version: 2 }))
      return typesOf((yield* CommerceSimulator).published())
    })
    expect(await runSim(twice)).toEqual([routingKeys.commerceIds, "commerce.user_created"])
    expect(await runSim(twice, { echoNoopUpdates: true })).toEqual([routingKeys.commerceIds, "commerce.user_created", "commerce.user_updated"])
  })

  test("links by CRM id are stored as the platform's own ids", async () => {
    const sim = await runSim(
      Effect.gen(function* () {
        yield* send(routingKeys.upsert("business"), upsert({ name: "Acme" }, { entity: "business", crmId: "co-1" }))
        yield* send(routingKeys.upsert("user"), upsert({ email: "a@example.com" }, { links: { businessId: "co-1" } }))
        yield* send(
          routingKeys.upsert("purchase"),
          upsert({ reference: "#1" }, { entity: "purchase", crmId: "o-1", links: { userId: "c-100", businessId: "co-9" } })
        )
        return yield* CommerceSimulator
      })
    )
    expect(sim.find("user", "u-1")?.record["businessId"]).toBe("b-1")
    expect(sim.find("purchase", "p-1")?.record).toMatchObject({ userId: "u-1" })
    expect(sim.received().at(-1)?.outcome).toBe("created p-1; unresolved links: businessId")
  })

  test("delete marks the entity deleted; merge keeps the survivor and deletes the merged ones", async () => {
    const sim = await runSim(
      Effect.gen(function* () {
        for (const crmId of ["c-1", "c-2", "c-3"]) yield* send(routingKeys.upsert("user"), upsert({ email: `${crmId}@example.com` }, { crmId }))
        yield* send(routingKeys.delete("user"), { entity: "user", crmId: "c-3", version: 5 })
        yield* send(routingKeys.merge("user"), { entity: "user", survivorCrmId: "c-1", mergedCrmIds: ["c-2"], mergedCommerceIds: [], version: 6 })
        return yield* CommerceSimulator
      })
    )
    expect(sim.state().user.map((e) => [e.id, e.deleted])).toEqual([
      ["u-1", false],
      ["u-2", true],
      ["u-3", true]
    ])
    expect(typesOf(sim.published()).filter((t) => t.endsWith("_deleted"))).toEqual(["commerce.user_deleted", "commerce.user_deleted"])
  })

  test("a merge whose survivor has no entity hands it the first merged one", async () => {
    const sim = await runSim(
      Effect.gen(function* () {
        for (const crmId of ["c-1", "c-2"]) yield* send(routingKeys.upsert("user"), upsert({ email: `${crmId}@example.com` }, { crmId }))
        yield* send(routingKeys.merge("user"), { entity: "user", survivorCrmId: "c-9", mergedCrmIds: ["c-1", "c-2"], mergedCommerceIds: ["u-1"], version: 6 })
        return yield* CommerceSimulator
      })
    )
    expect(sim.state().user.map((e) => [e.id, e.record["crmId"], e.deleted])).toEqual([
      ["u-1", "c-9", false],
      ["u-2", "c-2", true]
    ])
    expect(sim.received().at(-1)?.outcome).toBe("kept u-1; deleted u-2")
    expect(typesOf(sim.published()).slice(-2)).toEqual(["commerce.user_updated", "commerce.user_deleted"])
  })

  test("tocommerce.ids.assigned records the HubSpot id on the platform's entity, silently", async () => {
    const sim = await runSim(
      Effect.gen(function* () {
        const sim = yield* CommerceSimulator
        const user = yield* sim.createUser({ email: "a@example.com" })
        yield* send(routingKeys.crmIds, { entity: "user", crmId: "c-7", commerceId: user["id"] })
        return sim
      })
    )
    expect(sim.find("user", "u-1")?.record["crmId"]).toBe("c-7")
    expect(typesOf(sim.published())).toEqual(["commerce.user_created"])
  })

  test("a message it cannot read is refused and parked by the bus", async () => {
    const [received, parked] = await runSim(
      Effect.gen(function* () {
        const received = yield* send(routingKeys.upsert("user"), { entity: "user" })
        const store = yield* ParkedItems
        let parked = yield* store.list({ step: defaultStep.name })
        while (parked.length === 0) parked = yield* Effect.andThen(Effect.sleep(5), store.list({ step: defaultStep.name }))
        return [received, parked] as const
      })
    )
    expect(received.map((r) => r.outcome)).toEqual(["invalid"])
    expect(parked.map((p) => p.reason)).toEqual(["commerce platform cannot read tocommerce.user.upsert"])
  })
})
