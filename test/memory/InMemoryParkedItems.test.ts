import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import { parkedItemsContract } from "../contract/ParkedItems.contract.ts"

parkedItemsContract("memory", () => InMemoryParkedItems.layer)
