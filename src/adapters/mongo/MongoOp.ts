// Runs driver calls as a store operation, mapping a failure to StoreError, and reads the outcome
// of unique-key races (E11000) as values.
import { Context, Effect } from "effect"
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type Filter,
  MongoBulkWriteError,
  MongoNetworkTimeoutError,
  type OptionalUnlessRequiredId,
  type WithoutId,
  type WriteError
} from "mongodb"
import { Lane } from "../../application/Lane.ts"
import { liveFirst } from "../../application/LiveFirst.ts"
import { isDuplicateKey, toStoreError } from "./MongoErrors.ts"

/**
 * How long a store operation may go unanswered before it fails as unavailable (and its message is
 * retried). The driver bounds a read by its socket timeout, but not a write waiting for the socket
 * to drain: when the link goes silent and the watchdog closes that client, the write never settles
 * (mongodb 7.9 under Bun: its wait listens for 'drain' and 'error', and closing emits neither), and
 * the batch holding it would hold its step's lane for good. Far above any operation's own time.
 */
export const StoreDeadline = Context.Reference<number>("crm-sync/adapters/mongo/StoreDeadline", { defaultValue: () => 60_000 })

/** Driver calls, failing with `toError` when one throws, or when none answers by the store deadline. */
export const withinDeadline = <A, E>(f: (signal: AbortSignal) => Promise<A>, toError: (error: unknown) => E): Effect.Effect<A, E> =>
  Effect.flatMap(Effect.service(StoreDeadline), (deadlineMs) =>
    // The signal aborts at the deadline: a call of several commands can stop between them.
    Effect.timeoutOrElse(Effect.tryPromise({ try: (signal) => f(signal), catch: toError }), {
      duration: deadlineMs,
      orElse: () => Effect.fail(toError(new MongoNetworkTimeoutError(`no answer from the store in ${deadlineMs} ms`)))
    })
  )

/** A driver call as a store operation: a failure becomes a StoreError, and so does no answer by the deadline. */
export const driverCall = <A>(f: () => Promise<A>) => withinDeadline(f, toStoreError)

/**
 * Waits for live work in flight (LiveFirst) between the commands of a backfill's large write;
 * undefined for live work, whose writes go whole.
 */
export type Turn = (() => Promise<void>) | undefined

/**
 * A backfill operation first waits for live work in flight to end (LiveFirst), and hands `turn`
 * to the writes that split a large write into commands (`insertAll`).
 */
export const run = <A>(f: (turn: Turn) => Promise<A>) =>
  Effect.flatMap(Effect.all([Effect.service(Lane), Effect.context<never>()]), ([lane, context]) => {
    const turn: Turn = lane === "backfill" ? () => Effect.runPromiseWith(context)(liveFirst) : undefined
    return Effect.andThen(
      liveFirst,
      driverCall(() => f(turn))
    )
  })

/**
 * Find options that bring every match back in the first reply: the driver's default first batch
 * is 101 documents, and each further batch is one more round trip (getMore).
 */
export const oneBatch = { batchSize: 100_000 } as const

/** Turns E11000 into a value: the outcome of a unique-key race, not a failure. */
export const orDuplicate = async <A>(promise: Promise<A>): Promise<A | "duplicate"> =>
  promise.catch((error: unknown) => {
    if (isDuplicateKey(error)) return "duplicate" as const
    throw error
  })

const writeErrorsOf = (error: MongoBulkWriteError): ReadonlyArray<WriteError> => ([] as Array<WriteError>).concat(error.writeErrors)

/**
 * Runs an unordered bulk insert or write and returns the indexes of the operations that lost a
 * unique-key race (E11000); every other failure is thrown. One round trip for any number.
 */
export const duplicatesOf = async (write: () => Promise<unknown>): Promise<ReadonlySet<number>> => {
  try {
    await write()
    return new Set()
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error
    const errors = writeErrorsOf(error)
    if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw error
    return new Set(errors.map((e) => e.index))
  }
}

/**
 * Documents per insert command of a backfill's write. FerretDB applies one write at a time, in
 * arrival order: a live write queued behind a page's insert of thousands waited for all of them;
 * behind a command of a hundred it waits for those, and the next command waits for it (LiveFirst).
 */
export const backfillInsertsPerCommand = 100

/**
 * Sends `items` as commands of `size`, one after another (taking `turn` between them); returns the
 * indexes of those that lost a unique-key race, as `duplicatesOf` does, counted in `items`.
 */
const inCommands = async <A>(
  items: ReadonlyArray<A>,
  size: number,
  write: (chunk: Array<A>) => Promise<unknown>,
  turn?: Turn
): Promise<ReadonlySet<number>> => {
  const lost = new Set<number>()
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await turn?.()
    for (const i of await duplicatesOf(() => write(items.slice(start, start + size)))) lost.add(start + i)
  }
  return lost
}

/**
 * Inserts unordered; returns the indexes that lost a unique-key race (as `duplicatesOf`). With a
 * `turn` (the backfill's), in commands of `backfillInsertsPerCommand`, taking the turn between them.
 */
export const insertAll = <D extends Document>(collection: Collection<D>, docs: ReadonlyArray<OptionalUnlessRequiredId<D>>, turn: Turn) =>
  inCommands(docs, turn === undefined ? Math.max(1, docs.length) : backfillInsertsPerCommand, (chunk) => collection.insertMany(chunk, { ordered: false }), turn)

/** The last of each key wins, as if the inputs were applied one after another. */
export const lastById = <A>(items: ReadonlyArray<A>, idOf: (a: A) => string): ReadonlyArray<A> => [...new Map(items.map((a) => [idOf(a), a] as const)).values()]

/**
 * Update statements per command. FerretDB 1.24 (SQLite) deadlocks for good on one update command
 * of 100 statements or more (measured: 99 replaceOne in one bulkWrite pass, 100 hang that
 * database and every later database creation until the server restarts), so more are sent as
 * several commands, one after another.
 */
export const updatesPerCommand = 50

/**
 * Runs update operations (replaceOne / updateOne) as few commands as FerretDB allows; returns the
 * indexes of those that lost a unique-key race, as `duplicatesOf` does.
 */
export const updateAll = <D extends Document>(collection: Collection<D>, ops: ReadonlyArray<AnyBulkWriteOperation<D>>, ordered: boolean) =>
  inCommands(ops, updatesPerCommand, (chunk) => collection.bulkWrite(chunk, { ordered }))

/**
 * Replaces (or inserts) whole documents by _id in one unordered bulk write (per 50). A concurrent
 * first upsert of the same _id can lose with E11000; those are written once more, which replaces.
 */
export const upsertAllById = async <D extends { readonly _id: string }>(collection: Collection<D>, docs: ReadonlyArray<D>) => {
  const unique = lastById(docs, (d) => d._id)
  if (unique.length === 0) return
  const ops = unique.map(
    ({ _id, ...rest }): AnyBulkWriteOperation<D> => ({
      replaceOne: { filter: { _id } as Filter<D>, replacement: rest as unknown as WithoutId<D>, upsert: true }
    })
  )
  const lost = await updateAll(collection, ops, false)
  if (lost.size > 0)
    await updateAll(
      collection,
      ops.filter((_, i) => lost.has(i)),
      false
    )
}
