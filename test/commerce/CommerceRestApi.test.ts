// How the REST client maps what the platform answers (or fails to) onto CommerceApiError.
import { afterAll, describe, expect, test } from "bun:test"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import * as CommerceRestApi from "../../src/adapters/commerce/CommerceRestApi.ts"
import { CommerceApi, type CommerceApiError } from "../../src/application/ports/CommerceApi.ts"
import { PlatformState } from "../support/commerce/PlatformState.ts"
import { noFaults, startRestServer } from "../support/commerce/RestServer.ts"

const seed = { user: [{ id: "1", email: "a@example.com", createdAt: "2024-01-01T00:00:00.000Z" }] }
const server = startRestServer(new PlatformState(seed), { token: "secret" })
afterAll(() => server.stop())

/** A pass-through in front of `target` that logs each request's path and query. */
const logged = (target: string) => {
  const paths: Array<string> = []
  const proxy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request) => {
      const url = new URL(request.url)
      paths.push(decodeURIComponent(url.pathname + url.search))
      return fetch(new URL(url.pathname + url.search, target), { headers: request.headers })
    }
  })
  return { url: `http://127.0.0.1:${proxy.port}`, paths, stop: () => proxy.stop(true) }
}

const client = (options: Partial<CommerceRestApi.Options> = {}) =>
  CommerceRestApi.layer({ baseUrl: server.url, token: Redacted.make("secret"), timeoutMs: 200, ...options })

const run = <A, E>(effect: Effect.Effect<A, E, CommerceApi>, layer: Layer.Layer<CommerceApi, unknown> = client()) =>
  Effect.runPromise(Effect.provide(effect, layer))
const fetchUser = (id = "1") => Effect.flatMap(CommerceApi, (api) => api.fetch("user", id))
const failureOf = (effect: Effect.Effect<unknown, CommerceApiError, CommerceApi>, layer?: Layer.Layer<CommerceApi, unknown>) =>
  run(Effect.flip(effect), layer).then((error) => ({
    tag: error.reason._tag,
    status: error.reason.status,
    retryable: error.isRetryable,
    message: error.message
  }))

describe("CommerceRestApi", () => {
  test("a known id is the record; an unknown one is none (404)", async () => {
    expect(Option.getOrThrow(await run(fetchUser()))).toMatchObject({ id: "1", email: "a@example.com" })
    expect(Option.isNone(await run(fetchUser("404")))).toBe(true)
  })

  test("5xx is CommerceUnavailable (retryable), and the next call goes through", async () => {
    server.setFaults({ failNext: 1, status: 502 })
    expect(await failureOf(fetchUser())).toMatchObject({ tag: "CommerceUnavailable", status: 502, retryable: true })
    expect(Option.isSome(await run(fetchUser()))).toBe(true)
  })

  test("429 and 408 are transient; other 4xx are CommerceRejected (permanent)", async () => {
    for (const status of [429, 408]) {
      server.setFaults({ failNext: 1, status })
      expect(await failureOf(fetchUser())).toMatchObject({ tag: "CommerceUnavailable", status })
    }
    server.setFaults({ failNext: 1, status: 400 })
    expect(await failureOf(fetchUser())).toMatchObject({ tag: "CommerceRejected", status: 400, retryable: false })
    expect(await failureOf(Effect.flatMap(CommerceApi, (api) => api.listIds("user", {}, undefined, 0)))).toMatchObject({ tag: "CommerceRejected", status: 400 })
  })

  test("a missing or wrong token is rejected (401), not retried", async () => {
    expect(await failureOf(fetchUser(), client({ token: Redacted.make("wrong") }))).toMatchObject({ tag: "CommerceRejected", status: 401 })
  })

  test("no answer within the timeout is CommerceUnavailable", async () => {
    server.setFaults({ latencyMs: 400 })
    const failure = await failureOf(fetchUser())
    server.setFaults(noFaults)
    expect(failure).toMatchObject({ tag: "CommerceUnavailable", retryable: true })
    expect(failure.message).toContain("no answer within 200 ms")
  })

  test("a refused connection is CommerceUnavailable", async () => {
    const gone = startRestServer(new PlatformState(), {})
    await gone.stop()
    expect(await failureOf(fetchUser(), client({ baseUrl: gone.url }))).toMatchObject({ tag: "CommerceUnavailable", retryable: true })
  })

  test("a 200 whose body breaks the contract is CommerceRejected", async () => {
    const odd = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("<html>maintenance</html>") })
    try {
      const layer = client({ baseUrl: `http://127.0.0.1:${odd.port}` })
      expect(await failureOf(fetchUser(), layer)).toMatchObject({ tag: "CommerceRejected", status: 200 })
      expect(
        await failureOf(
          Effect.flatMap(CommerceApi, (api) => api.listIds("user", {}, undefined, 10)),
          layer
        )
      ).toMatchObject({ tag: "CommerceRejected" })
    } finally {
      await odd.stop(true)
    }
  })

  test("fetchMany reads 100 ids a call through the batch read, and leaves unknown ids out", async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({ id: `m${i}`, email: `m${i}@example.com` }))
    const shop = startRestServer(new PlatformState({ user: many }), {})
    const log = logged(shop.url)
    try {
      const asked = [...many.map((u) => u.id), "nope", "m1"]
      const found = await run(
        Effect.flatMap(CommerceApi, (api) => api.fetchMany("user", asked)),
        client({ baseUrl: log.url })
      )
      expect(found.map((f) => f.id).sort()).toEqual(many.map((u) => u.id).sort())
      expect(found.find((f) => f.id === "m7")?.record).toMatchObject({ id: "m7", email: "m7@example.com" })
      expect(log.paths.length).toBe(3)
      expect(log.paths.every((p) => p.startsWith("/users?ids="))).toBe(true)
    } finally {
      await log.stop()
      await shop.stop()
    }
  })

  test("a shop without the batch read is read id by id: it ignores ?ids= (asked once) or refuses it (asked per call)", async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ id: `m${i}`, email: `m${i}@example.com` }))
    const ignoring = startRestServer(new PlatformState({ user: many }), { batchRead: false })
    const ignoringLog = logged(ignoring.url)
    const refusing = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request) => {
        const url = new URL(request.url)
        if (url.searchParams.has("ids")) return new Response("no", { status: 405 })
        return fetch(new URL(url.pathname + url.search, ignoring.url))
      }
    })
    const refusingLog = logged(`http://127.0.0.1:${refusing.port}`)
    try {
      for (const log of [ignoringLog, refusingLog]) {
        const layer = client({ baseUrl: log.url })
        const twice = Effect.flatMap(CommerceApi, (api) => Effect.zip(api.fetchMany("user", ["m3", "nope", "m140"]), api.fetchMany("user", ["m4", "m5"])))
        const [first, second] = await run(twice, layer)
        expect(first.map((f) => f.id).sort()).toEqual(["m140", "m3"])
        expect(first.find((f) => f.id === "m3")?.record).toMatchObject({ email: "m3@example.com" })
        expect(second.map((f) => f.id).sort()).toEqual(["m4", "m5"])
        const batchCalls = log.paths.filter((p) => p.includes("ids=")).length
        expect(batchCalls).toBe(log === ignoringLog ? 1 : 2)
        expect(log.paths.filter((p) => /^\/users\/[^?]+$/.test(p)).length).toBe(5)
      }
    } finally {
      await ignoringLog.stop()
      await refusingLog.stop()
      await refusing.stop(true)
      await ignoring.stop()
    }
  })

  test("a failing batch read fails like a single read: 5xx retryable, a body that breaks the contract not", async () => {
    server.setFaults({ failNext: 1, status: 503 })
    expect(await failureOf(Effect.flatMap(CommerceApi, (api) => api.fetchMany("user", ["1"])))).toMatchObject({
      tag: "CommerceUnavailable",
      status: 503
    })
    const odd = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ records: "none" }) })
    try {
      const layer = client({ baseUrl: `http://127.0.0.1:${odd.port}` })
      expect(
        await failureOf(
          Effect.flatMap(CommerceApi, (api) => api.fetchMany("user", ["1"])),
          layer
        )
      ).toMatchObject({
        tag: "CommerceRejected",
        retryable: false
      })
    } finally {
      await odd.stop(true)
    }
  })

  test("layerConfig reads COMMERCE_API_URL and COMMERCE_API_TOKEN", async () => {
    const env = ConfigProvider.layer(ConfigProvider.fromEnv({ env: { COMMERCE_API_URL: server.url, COMMERCE_API_TOKEN: "secret" } }))
    expect(Option.isSome(await run(fetchUser(), CommerceRestApi.layerConfig.pipe(Layer.provide(env))))).toBe(true)
  })
})
