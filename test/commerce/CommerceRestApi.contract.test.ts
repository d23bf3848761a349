// The REST client passes the same CommerceApi contract as the in-memory adapter, against the simulator.
import { Effect, Layer } from "effect"
import * as CommerceRestApi from "../../src/adapters/commerce/CommerceRestApi.ts"
import * as InMemoryBus from "../../src/adapters/memory/InMemoryBus.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { commerceApiContract } from "../contract/CommerceApi.contract.ts"
import * as Sim from "../support/commerce/CommerceSimulator.ts"

const Bus = Layer.merge(InMemoryBus.layer, InMemoryParkedItems.layer)

commerceApiContract("REST client + commerce simulator", (seed) =>
  Layer.unwrap(Effect.map(Sim.CommerceSimulator, (sim) => CommerceRestApi.layer({ baseUrl: sim.url, timeoutMs: 2_000 }))).pipe(
    Layer.provide(Sim.layer({ seed }).pipe(Layer.provide(Bus)))
  )
)
