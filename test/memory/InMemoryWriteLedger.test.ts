import * as InMemoryWriteLedger from "../../src/adapters/memory/InMemoryWriteLedger.ts"
import { writeLedgerContract } from "../contract/WriteLedger.contract.ts"

writeLedgerContract("memory", () => InMemoryWriteLedger.layer)
