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

  test("layerConfig reads COMMERCE_API_URL and COMMERCE_API_TOKEN", async () => {
    const env = ConfigProvider.layer(ConfigProvider.fromEnv({ env: { COMMERCE_API_URL: server.url, COMMERCE_API_TOKEN: "secret" } }))
    expect(Option.isSome(await run(fetchUser(), CommerceRestApi.layerConfig.pipe(Layer.provide(env))))).toBe(true)
  })
})
