// The CommerceApi port's contract: run against the in-memory platform and the REST client.
import { describe, expect, test } from "bun:test"
import { Effect, type Layer, Option } from "effect"
import { CommerceApi, type UnvalidatedRecord } from "../../src/application/ports/CommerceApi.ts"
import type { CommerceEntity } from "../../src/domain/CorrespondenceTable.ts"
import { suiteRuntime } from "../support/runtime.ts"

const users: ReadonlyArray<UnvalidatedRecord> = Array.from({ length: 25 }, (_, i) => ({
  id: String(i + 1),
  email: `user${i + 1}@example.com`,
  createdAt: `2024-01-${String(i + 1).padStart(2, "0")}T00:00:00.000Z`,
  updatedAt: `2024-02-01T00:00:00.000Z`
}))

export type Seed = Partial<Record<CommerceEntity, ReadonlyArray<UnvalidatedRecord>>>

const allIds = (entity: CommerceEntity, filter: Parameters<CommerceApi["Service"]["listIds"]>[1], limit: number) =>
  Effect.gen(function* () {
    const api = yield* CommerceApi
    const ids: Array<string> = []
    let cursor: string | undefined
    do {
      const page = yield* api.listIds(entity, filter, cursor, limit)
      expect(page.ids.length).toBeLessThanOrEqual(limit)
      ids.push(...page.ids)
      cursor = page.next
    } while (cursor !== undefined)
    return ids
  })

export const commerceApiContract = <E>(name: string, makeLayer: (seed: Seed) => Layer.Layer<CommerceApi, E>) =>
  describe(`CommerceApi contract: ${name}`, () => {
    const run = suiteRuntime(() => makeLayer({ user: users }))

    test("fetch returns the record, or none for an unknown id", async () => {
      const [found, missing] = await run(
        Effect.gen(function* () {
          const api = yield* CommerceApi
          return [yield* api.fetch("user", "3"), yield* api.fetch("user", "nope")] as const
        })
      )
      expect(Option.getOrThrow(found)).toMatchObject({ id: "3", email: "user3@example.com" })
      expect(Option.isNone(missing)).toBe(true)
    })

    test("fetchMany returns the served records by id and leaves unknown ids out", async () => {
      const found = await run(Effect.flatMap(CommerceApi, (api) => api.fetchMany("user", ["3", "nope", "7"])))
      expect(found.map((f) => f.id).sort()).toEqual(["3", "7"])
      expect(found.find((f) => f.id === "7")?.record).toMatchObject({ id: "7", email: "user7@example.com" })
    })

    test("fetchMany answers each served id once, however often it is asked and however many are asked", async () => {
      const asked = [...users.map((u) => String(u["id"])), "3", "nope", "3"]
      const found = await run(Effect.flatMap(CommerceApi, (api) => api.fetchMany("user", asked)))
      expect(found.map((f) => f.id).sort()).toEqual(users.map((u) => String(u["id"])).sort())
      expect(await run(Effect.flatMap(CommerceApi, (api) => api.fetchMany("user", [])))).toEqual([])
    })

    test("listIds pages through every id in ascending order", async () => {
      const ids = await run(allIds("user", {}, 10))
      expect(ids).toEqual(users.map((u) => String(u["id"])))
    })

    test("listIds honours an id range and a creation window", async () => {
      expect(await run(allIds("user", { fromId: "5", toId: "12" }, 3))).toEqual(["5", "6", "7", "8", "9", "10", "11", "12"])
      expect(await run(allIds("user", { createdFrom: "2024-01-20T00:00:00.000Z", createdTo: "2024-01-23T00:00:00.000Z" }, 100))).toEqual(["20", "21", "22"])
    })

    test("a cursor resumes after the last id handed out", async () => {
      const first = await run(Effect.flatMap(CommerceApi, (api) => api.listIds("user", {}, undefined, 4)))
      const second = await run(Effect.flatMap(CommerceApi, (api) => api.listIds("user", {}, first.next, 4)))
      expect(second.ids).toEqual(["5", "6", "7", "8"])
    })
  })
