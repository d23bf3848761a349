import { describe, expect, test } from "bun:test"
import { parseExports } from "../support/ProvisionServices.ts"

describe("test-service provisioning", () => {
  test("reads the URLs that scripts/services.sh prints", () => {
    const found = parseExports("export AMQP_URL=amqp://guest:guest@127.0.0.1:5672\nnoise\nexport MONGO_URL='mongodb://127.0.0.1:27017'\n")
    expect(found.get("AMQP_URL")).toBe("amqp://guest:guest@127.0.0.1:5672")
    expect(found.get("MONGO_URL")).toBe("mongodb://127.0.0.1:27017")
    expect(found.size).toBe(2)
  })
  test("the preload provisioned both services for this run (or they were given)", () => {
    if (process.env.CRM_SYNC_PROVISION === "0") return
    expect(process.env.AMQP_URL).toBeString()
    expect(process.env.MONGO_URL).toBeString()
  })
})
