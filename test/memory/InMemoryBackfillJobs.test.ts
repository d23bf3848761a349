import * as InMemoryBackfillJobs from "../../src/adapters/memory/InMemoryBackfillJobs.ts"
import { backfillJobsContract } from "../contract/BackfillJobs.contract.ts"

backfillJobsContract("memory", () => InMemoryBackfillJobs.layer)
