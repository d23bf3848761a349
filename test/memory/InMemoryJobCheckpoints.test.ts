import * as InMemoryJobCheckpoints from "../../src/adapters/memory/InMemoryJobCheckpoints.ts"
import { jobCheckpointsContract } from "../contract/JobCheckpoints.contract.ts"

jobCheckpointsContract("memory", () => InMemoryJobCheckpoints.layer)
