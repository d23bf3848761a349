// Runs a driver call as an operation of a focused store port, mapping its failure to StoreError.
import { Effect } from "effect"
import { StoreError, StoreRejected, StoreUnavailable } from "../../application/ports/StoreError.ts"
import { describe, isUnavailable } from "./MongoErrors.ts"

export const toStoreError = (error: unknown): StoreError =>
  new StoreError({
    reason: isUnavailable(error) ? new StoreUnavailable({ message: describe(error) }) : new StoreRejected({ message: describe(error) })
  })

export const runStoreOp = <A>(f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: toStoreError })
