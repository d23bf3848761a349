// `bun run setup-hubspot` against the simulator: idempotent, and clear about a bad token or scope.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test"
import { Client } from "@hubspot/api-client"
import { Effect, Redacted } from "effect"
import { setupHubSpot } from "../../src/adapters/hubspot/SetupHubSpot.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"

let sim: HubSpotSimulator
beforeAll(async () => {
  sim = await startHubSpotSimulator({ port: 0 })
})
afterAll(() => sim.stop())
beforeEach(() => sim.reset())

const setup = (token = "test-token") => Effect.runPromise(setupHubSpot({ accessToken: Redacted.make(token), basePath: sim.url }))
const setupError = (token = "test-token") => Effect.runPromise(Effect.flip(setupHubSpot({ accessToken: Redacted.make(token), basePath: sim.url })))

describe("setupHubSpot", () => {
  test("creates the group and the unique id properties, then finds them on a second run", async () => {
    const first = await setup()
    expect(first.map((s) => `${s.objectType} ${s.kind} ${s.name} ${s.status}`)).toEqual([
      "contacts group ecommerce created",
      "contacts property ecommerce_user_id created",
      "companies group ecommerce created",
      "companies property ecommerce_business_id created",
      "orders group ecommerce created",
      "orders property ecommerce_purchase_id created",
      "companies group ecommerce found",
      "companies property vat_number created"
    ])
    const vat = await new Client({ accessToken: "test-token", basePath: sim.url }).crm.properties.coreApi.getByName("companies", "vat_number")
    expect(vat).toMatchObject({ groupName: "ecommerce", hasUniqueValue: false })
    const property = await new Client({ accessToken: "test-token", basePath: sim.url }).crm.properties.coreApi.getByName("orders", "ecommerce_purchase_id")
    expect(property).toMatchObject({ type: "string", fieldType: "text", groupName: "ecommerce", hasUniqueValue: true })
    const second = await setup()
    expect(second.every((s) => s.status === "found")).toBe(true)
  })

  test("a property that exists without unique values is reported, not silently accepted", async () => {
    const client = new Client({ accessToken: "test-token", basePath: sim.url })
    await client.crm.properties.coreApi.create("contacts", {
      name: "ecommerce_user_id",
      label: "x",
      type: "string" as never,
      fieldType: "text" as never,
      groupName: "contactinformation"
    })
    const steps = await setup()
    expect(steps.find((s) => s.name === "ecommerce_user_id")?.status).toBe("not unique")
  })

  test("a bad token (401) is explained in words a user can act on", async () => {
    const error = await setupError("wrong-token")
    expect(error.message).toContain("401")
    expect(error.message).toContain("HUBSPOT_ACCESS_TOKEN")
  })

  test("a missing scope (403) names the scope to add", async () => {
    sim.setFaults({ failNext: 1, serverErrorStatus: 403 })
    const error = await setupError()
    expect(error.message).toContain("403")
    expect(error.message).toContain("crm.schemas.contacts.write")
  })

  /** `bun run setup-hubspot` as a user runs it, against the simulator. */
  const runScript = async (token: string) => {
    const proc = Bun.spawn(["bun", "scripts/setup-hubspot.ts"], {
      env: { ...process.env, HUBSPOT_ACCESS_TOKEN: token, HUBSPOT_BASE_PATH: sim.url },
      stdout: "pipe",
      stderr: "pipe"
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    return { out, err, code }
  }

  test("the script prints what it created and exits 0", async () => {
    const { out, code } = await runScript("test-token")
    expect(code).toBe(0)
    expect(out).toContain("created contacts property ecommerce_user_id")
  })

  test("the script explains a bad token and exits 1", async () => {
    const { err, code } = await runScript("nope")
    expect(code).toBe(1)
    expect(err).toContain("HUBSPOT_ACCESS_TOKEN")
  })
})
