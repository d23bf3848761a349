import * as InMemoryIdLinks from "../../src/adapters/memory/InMemoryIdLinks.ts"
import { idLinksContract } from "../contract/IdLinks.contract.ts"

idLinksContract("memory", () => InMemoryIdLinks.layer)
