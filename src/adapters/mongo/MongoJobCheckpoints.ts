// Job checkpoints on MongoDB / FerretDB: whole-document replace by job id. One round trip per
// call, for any number of checkpoints (plus one when a first upsert races).
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { type Checkpoint, JobCheckpoints } from "../../application/ports/JobCheckpoints.ts"
import { collections } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { oneBatch, run, upsertAllById } from "./MongoOp.ts"

interface CheckpointDoc {
  _id: string
  cursor: string | null
  done: number
  finished: boolean
  updatedAt: number
}

const toDoc = (c: Checkpoint): CheckpointDoc => ({ _id: c.jobId, cursor: c.cursor ?? null, done: c.done, finished: c.finished, updatedAt: c.updatedAt })
const toCheckpoint = (d: CheckpointDoc): Checkpoint => ({
  jobId: d._id,
  cursor: d.cursor ?? undefined,
  done: d.done,
  finished: d.finished,
  updatedAt: d.updatedAt
})

export const make = (db: Db) => {
  const checkpoints = db.collection<CheckpointDoc>(collections.checkpoints)
  return JobCheckpoints.of({
    save: (all) => run(() => upsertAllById(checkpoints, all.map(toDoc))),
    load: (jobIds) =>
      jobIds.length === 0
        ? Effect.succeed([])
        : run(() => checkpoints.find({ _id: { $in: [...new Set(jobIds)] } }, oneBatch).toArray()).pipe(Effect.map((docs) => docs.map(toCheckpoint)))
  })
}

export const layer = Layer.effect(JobCheckpoints, Effect.map(MongoDb, make))
