// Driver errors classified as the store port's reasons: an operation interrupted because the
// self-healing connection closed its client is an outage to retry, never a refusal to park (the
// chaos suite parked two shop events with "Operation interrupted because client was closed").
import { expect, test } from "bun:test"
import { MongoClientClosedError, MongoServerError } from "mongodb"
import { toStoreError } from "../../src/adapters/mongo/MongoErrors.ts"

test("an operation interrupted by closing its client is retryable", () => {
  const error = toStoreError(new MongoClientClosedError())
  expect(error.reason._tag).toBe("StoreUnavailable")
  expect(error.reason.message).toContain("client was closed")
})

test("a server's refusal stays a rejection", () => {
  expect(toStoreError(new MongoServerError({ message: "bad", code: 2 })).reason._tag).toBe("StoreRejected")
})
