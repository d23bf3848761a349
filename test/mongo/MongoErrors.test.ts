// Driver errors classified as the store port's reasons: an operation interrupted because the
// self-healing connection closed its client is an outage to retry, never a refusal to park (the
// chaos suite parked two shop events with "Operation interrupted because client was closed").
import { expect, test } from "bun:test"
import { MongoBulkWriteError, MongoClientClosedError, MongoExpiredSessionError, MongoNetworkError, MongoServerError, MongoTopologyClosedError } from "mongodb"
import { toStoreError } from "../../src/adapters/mongo/MongoErrors.ts"

test("an operation interrupted by closing its client is retryable", () => {
  const error = toStoreError(new MongoClientClosedError())
  expect(error.reason._tag).toBe("StoreUnavailable")
  expect(error.reason.message).toContain("client was closed")
})

test("a server's refusal stays a rejection", () => {
  expect(toStoreError(new MongoServerError({ message: "bad", code: 2 })).reason._tag).toBe("StoreRejected")
})

test("a closed topology or a network error that bulkWrite wrapped is retryable; a write error in a bulk is not", () => {
  const wrap = (inner: Error) => new MongoBulkWriteError(inner as never, { insertedCount: 0 } as never)
  expect(toStoreError(wrap(new MongoTopologyClosedError())).reason._tag).toBe("StoreUnavailable")
  expect(toStoreError(wrap(new MongoNetworkError("connection 3 to 127.0.0.1:1 closed"))).reason._tag).toBe("StoreUnavailable")
  const refused = new MongoBulkWriteError({ message: "validation failed", code: 121, writeErrors: [] } as never, { insertedCount: 0 } as never)
  expect(toStoreError(refused).reason._tag).toBe("StoreRejected")
})

test("an operation on a session that ended with its closed client is retryable", () => {
  expect(toStoreError(new MongoExpiredSessionError()).reason._tag).toBe("StoreUnavailable")
})
