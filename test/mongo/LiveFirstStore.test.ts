// The store waits its turn for live work in the backfill lane (LiveFirst), on the real server.
import { expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import { dbLayer } from "../../src/adapters/mongo/MongoConnection.ts"
import * as MongoSnapshots from "../../src/adapters/mongo/MongoSnapshots.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import { waitsForLive } from "../support/LiveFirstProbe.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

describeMongo("the store and live work (LiveFirst)", (url) => {
  test("a backfill read of the store waits for the process's live work, then runs", async () => {
    const store = MongoSnapshots.layer.pipe(Layer.provide(dbLayer({ url, dbName: freshDbName() })))
    const read = Effect.flatMap(Snapshots, (s) => s.getCrm([{ type: "company", id: "1" }])).pipe(Effect.provide(store))
    expect(await waitsForLive(Effect.orDie(read))).toEqual({ waited: true, finished: true })
  })
})
