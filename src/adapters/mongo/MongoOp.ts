// Runs a driver call as a SyncStore operation, mapping its failure to SyncStoreError.
import { Effect } from "effect"
import { isDuplicateKey, toSyncStoreError } from "./MongoErrors.ts"

export const run = <A>(f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: toSyncStoreError })

/** Turns E11000 into a value: the outcome of a unique-key race, not a failure. */
export const orDuplicate = async <A>(promise: Promise<A>): Promise<A | "duplicate"> =>
  promise.catch((error: unknown) => {
    if (isDuplicateKey(error)) return "duplicate" as const
    throw error
  })
