// Service-test rule for MongoDB: MONGO_URL unset → the suite is skipped LOUDLY; with
// REQUIRE_SERVICES=1 a missing (or unreachable) server fails instead of skipping.
import { afterAll, describe, test } from "bun:test"
import { MongoClient } from "mongodb"

export const mongoUrl = process.env.MONGO_URL
const required = process.env.REQUIRE_SERVICES === "1"
const created: Array<string> = []

/** A database name no other run uses; dropped by the afterAll that describeMongo registers. */
export const freshDbName = (): string => {
  const name = `crm_sync_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  created.push(name)
  return name
}

const dropCreated = async (url: string) => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000 })
  try {
    for (const name of created.splice(0)) await client.db(name).dropDatabase()
  } finally {
    await client.close()
  }
}

export const describeMongo = (name: string, body: (url: string) => void): void => {
  if (mongoUrl === undefined) {
    if (required) {
      describe(name, () =>
        test("MONGO_URL is set (REQUIRE_SERVICES=1)", () => {
          throw new Error("MONGO_URL is unset but REQUIRE_SERVICES=1")
        })
      )
      return
    }
    console.warn(`\n⚠️  SKIPPED "${name}": MONGO_URL is unset (eval "$(scripts/services.sh)" to run it)\n`)
  }
  describe.skipIf(mongoUrl === undefined)(name, () => {
    afterAll(() => (mongoUrl === undefined ? undefined : dropCreated(mongoUrl)), 60_000)
    body(mongoUrl ?? "")
  })
}
