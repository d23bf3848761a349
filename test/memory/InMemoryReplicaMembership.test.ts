import * as InMemoryReplicaMembership from "../../src/adapters/memory/InMemoryReplicaMembership.ts"
import { replicaMembershipContract } from "../contract/ReplicaMembership.contract.ts"

replicaMembershipContract("memory", () => InMemoryReplicaMembership.layer)
