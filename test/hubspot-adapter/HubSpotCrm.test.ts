// The Crm contract, run against the HubSpot adapter talking to the simulator.
import { afterAll, beforeAll } from "bun:test"
import type { HubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { crmContract } from "../contract/Crm.contract.ts"
import { adapterLayer, startSim } from "./AdapterSupport.ts"

let sim: HubSpotSimulator
beforeAll(async () => {
  sim = await startSim()
})
afterAll(() => sim.stop())

crmContract("HubSpot adapter + simulator", () => adapterLayer(sim))
