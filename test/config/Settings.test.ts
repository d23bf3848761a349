// Every variable the service reads is read once, in Settings; adapters get their values from it.
import { expect, test } from "bun:test"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import * as Settings from "../../src/adapters/config/Settings.ts"

const read = (env: Record<string, string>) => Effect.runPromise(Settings.settings.parse(ConfigProvider.fromEnv({ env })))

test("with nothing set, every adapter is the embedded one and the defaults apply", async () => {
  const s = await read({})
  expect(Option.isNone(s.amqpUrl) && Option.isNone(s.mongoUrl) && Option.isNone(s.hubspotToken) && Option.isNone(s.commerceApiUrl)).toBe(true)
  expect([s.amqpPrefix, s.mongoDb, s.mongoTimeoutMs, s.hubspotBasePath, s.commerceApiTimeoutMs]).toEqual([
    "crm-sync",
    "crm-sync",
    2000,
    "https://api.hubapi.com",
    10_000
  ])
})

test("adapter settings and secrets come from the same read; empty secrets mean not configured", async () => {
  const s = await read({
    AMQP_URL: "amqp://u:p@h",
    AMQP_PREFIX: "shop",
    MONGO_DB: "sync",
    MONGO_TIMEOUT_MS: "500",
    HUBSPOT_BASE_PATH: "http://sim",
    COMMERCE_API_TOKEN: " "
  })
  expect(Option.map(s.amqpUrl, Redacted.value)).toEqual(Option.some("amqp://u:p@h"))
  expect([s.amqpPrefix, s.mongoDb, s.mongoTimeoutMs, s.hubspotBasePath]).toEqual(["shop", "sync", 500, "http://sim"])
  expect(Option.isNone(s.commerceApiToken)).toBe(true)
  // Secrets never print.
  expect(String(Option.getOrThrow(s.amqpUrl))).not.toContain("u:p")
})

test("a malformed number stops the start with the variable's name", async () => {
  await expect(read({ MONGO_TIMEOUT_MS: "soon" })).rejects.toThrow(/MONGO_TIMEOUT_MS/)
})

test("ADMIN_TOKEN: unset or blank turns the admin API off; set, it is a secret that never prints", async () => {
  expect(Option.isNone((await read({})).adminToken)).toBe(true)
  expect(Option.isNone((await read({ ADMIN_TOKEN: "  " })).adminToken)).toBe(true)
  const token = (await read({ ADMIN_TOKEN: "t0ken-value" })).adminToken
  expect(Option.map(token, Redacted.value)).toEqual(Option.some("t0ken-value"))
  expect(String(Option.getOrThrow(token))).not.toContain("t0ken-value")
})
