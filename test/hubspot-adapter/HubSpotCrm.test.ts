// The Crm contract, run against the HubSpot adapter talking to the simulator.
import { afterAll, beforeAll } from "bun:test"
import { crmContract } from "../contract/Crm.contract.ts"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"
import { adapterLayer, startSim } from "./AdapterSupport.ts"

let sim: HubSpotSimulator
// An account nobody ran the setup on: no unique commerce id properties.
let bare: HubSpotSimulator
beforeAll(async () => {
  sim = await startSim()
  bare = await startHubSpotSimulator({ port: 0 })
})
afterAll(() => Promise.all([sim.stop(), bare.stop()]))

crmContract(
  "HubSpot adapter + simulator",
  () => adapterLayer(sim),
  () => adapterLayer(bare)
)
