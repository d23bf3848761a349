import * as InMemorySnapshots from "../../src/adapters/memory/InMemorySnapshots.ts"
import { snapshotsContract } from "../contract/Snapshots.contract.ts"

snapshotsContract("memory", () => InMemorySnapshots.layer)
