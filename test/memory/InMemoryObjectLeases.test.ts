import * as InMemoryObjectLeases from "../../src/adapters/memory/InMemoryObjectLeases.ts"
import { objectLeasesContract } from "../contract/ObjectLeases.contract.ts"

objectLeasesContract("memory", () => InMemoryObjectLeases.layer)
