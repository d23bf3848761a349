// Classifies driver errors: an outage (network, timeout, no server, shutting down) is retryable,
// anything the server refused is not.
import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoError,
  MongoExpiredSessionError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError
} from "mongodb"
import { StoreError, StoreRejected, StoreUnavailable } from "../../application/ports/StoreError.ts"

/**
 * Server codes meaning "not now" (shutdown, step-down, interrupted) rather than "never". Code 1
 * (InternalError) is how FerretDB on SQLite reports SQLITE_BUSY: a lock held by another writer.
 */
const transientCodes = new Set([1, 6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436])

/** Our own writes lost a unique-key race too often in a row: worth retrying later, not parking. */
export class RaceLost extends Error {}

/**
 * bulkWrite wraps a driver-level failure (closed topology, network) in a MongoBulkWriteError that
 * keeps the message but not the class: no code and no write errors, the server refused nothing.
 */
const wrappedOutage = (error: unknown): boolean =>
  error instanceof MongoBulkWriteError && error.code === undefined && Object.keys(error.writeErrors ?? []).length === 0 && error.writeConcernError === undefined

export const isUnavailable = (error: unknown): boolean =>
  error instanceof RaceLost ||
  error instanceof MongoNetworkError ||
  error instanceof MongoServerSelectionError ||
  error instanceof MongoOperationTimeoutError ||
  error instanceof MongoNotConnectedError ||
  error instanceof MongoServerClosedError ||
  error instanceof MongoTopologyClosedError ||
  // The self-healing connection closed a client under an operation (its implicit session ended
  // with it): the retry runs on its successor.
  error instanceof MongoClientClosedError ||
  error instanceof MongoExpiredSessionError ||
  wrappedOutage(error) ||
  (error instanceof MongoError && (error.hasErrorLabel("RetryableWriteError") || transientCodes.has(Number(error.code))))

/**
 * A unique index refused the write: E11000, or FerretDB 1.24's answer to an update that would
 * break a unique index (code 1, InternalError, with SQLite's message; its inserts answer E11000).
 */
export const isDuplicateKey = (error: unknown): boolean =>
  (error instanceof MongoServerError || error instanceof MongoBulkWriteError) &&
  (error.code === 11000 || (error.code === 1 && error.message.includes("UNIQUE constraint failed")))

export const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export const toStoreError = (error: unknown): StoreError =>
  new StoreError({
    reason: isUnavailable(error) ? new StoreUnavailable({ message: describe(error) }) : new StoreRejected({ message: describe(error) })
  })
