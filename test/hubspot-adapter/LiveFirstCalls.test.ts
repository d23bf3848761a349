// HubSpot calls wait their turn for live work in the backfill lane (LiveFirst).
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { Crm } from "../../src/application/ports/Crm.ts"
import type { CompanyId } from "../../src/domain/Ids.ts"
import { waitsForLive } from "../support/LiveFirstProbe.ts"
import { adapterLayer, callsTo, useAdapterSim } from "./AdapterSupport.ts"

const env = useAdapterSim()

test("a backfill read waits for the process's live work before it calls HubSpot", async () => {
  const read = Effect.flatMap(Crm, (crm) => crm.read("company", ["1" as CompanyId])).pipe(Effect.provide(adapterLayer(env.sim)), Effect.orDie)
  const before = callsTo(env.sim, /batch\/read/)
  const seen = { during: -1 }
  expect(await waitsForLive(read, 300, () => (seen.during = callsTo(env.sim, /batch\/read/)))).toEqual({ waited: true, finished: true })
  expect(seen.during).toBe(before)
  expect(callsTo(env.sim, /batch\/read/)).toBeGreaterThan(before)
})
