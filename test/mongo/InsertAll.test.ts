// A backfill's large insert goes as commands of a hundred, waiting for live work between them
// (FerretDB applies one write at a time); live work's inserts go whole, in one command.
import { expect, test } from "bun:test"
import { type Collection, type Document, MongoBulkWriteError } from "mongodb"
import { backfillInsertsPerCommand, insertAll } from "../../src/adapters/mongo/MongoOp.ts"

/** A collection that records each insert command's size (and what happened between them). */
const recording = (events: Array<string>, duplicateAt?: number) =>
  ({
    insertMany: async (docs: ReadonlyArray<Document>) => {
      events.push(`insert ${docs.length}`)
      const at = duplicateAt === undefined ? -1 : docs.findIndex((d) => d["n"] === duplicateAt)
      if (at >= 0)
        throw new MongoBulkWriteError({ message: "E11000", code: 11000, writeErrors: [{ index: at, code: 11000, errmsg: "dup" }] } as never, {} as never)
      return { acknowledged: true, insertedCount: docs.length, insertedIds: {} }
    }
  }) as unknown as Collection<Document>

const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }))

test("the backfill's insert of 250 goes as 3 commands, taking its turn before the 2nd and the 3rd", async () => {
  const events: Array<string> = []
  await insertAll(recording(events), docs(250), async () => void events.push("turn"))
  expect(backfillInsertsPerCommand).toBe(100)
  expect(events).toEqual(["insert 100", "turn", "insert 100", "turn", "insert 50"])
})

test("live work's insert goes whole: one command, no turn", async () => {
  const events: Array<string> = []
  await insertAll(recording(events), docs(250), undefined)
  expect(events).toEqual(["insert 250"])
})

test("a unique-key race lost in a later command is reported at its index in the whole list", async () => {
  const lost = await insertAll(recording([], 180), docs(250), async () => {})
  expect([...lost]).toEqual([180])
})
