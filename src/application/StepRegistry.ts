// Every consumer step of the service, declared once: its name, the routing keys it binds, its
// batch handler; its tuning comes from the environment (StepTuning). The bus adapters derive
// their topology from the resulting Steps, the workers run their handlers.
import { Config } from "effect"
import { leasedPerObject } from "./ObjectLeasing.ts"
import { commerceEventKeyOf, crmChangeKeyOf, idsAssignedKeyOf } from "./PartitionKeys.ts"
import type { CommerceApi } from "./ports/CommerceApi.ts"
import type { Crm } from "./ports/Crm.ts"
import type { IdLinks } from "./ports/IdLinks.ts"
import type { MessageBus } from "./ports/MessageBus.ts"
import type { Snapshots } from "./ports/Snapshots.ts"
import type { WriteLedger } from "./ports/WriteLedger.ts"
import type { BatchHandler, Envelope, Step } from "./Step.ts"
import { defaultTuning, type StepTuning, tuningsOf } from "./StepTuning.ts"
import { commerceObjectOf, syncCommerceEvents } from "./SyncCommerceEvents.ts"
import { syncCrmChanges } from "./SyncCrmChanges.ts"
import { writeBackIdBatch } from "./WriteBackIdBatch.ts"

/** What the service's handlers need. */
export type StepServices = Crm | CommerceApi | Snapshots | IdLinks | WriteLedger | MessageBus

interface Declaration {
  readonly name: string
  readonly bindings: ReadonlyArray<string>
  readonly handler: BatchHandler<StepServices>
  readonly partitionKeyOf: (message: Envelope) => string | undefined
  /** The step's own defaults where the shared ones do not suit it (its `<STEP>_…` variables still win). */
  readonly defaults?: Partial<StepTuning>
  readonly batchWindowMs?: number
  readonly backfillBatchWindowMs?: number
}

export interface RegisteredStep {
  readonly step: Step
  readonly handler: BatchHandler<StepServices>
}

const declarations: ReadonlyArray<Declaration> = [
  { name: "sync-crm-object", bindings: ["crm.contact.*", "crm.company.*", "crm.order.*"], handler: syncCrmChanges, partitionKeyOf: crmChangeKeyOf },
  // The shop's ids come back one message per record, spread over time as the shop works through
  // what it was sent: a 15 ms window made batches of ~20, and each batch costs an update call and
  // four store operations whatever its size (a backfill's tail of write-backs ran at ~35 records/s).
  // Gathered for up to 200 ms, up to 500 (five update calls of 100), they cost a fraction of that.
  // A backfill's answers are gathered for up to a second: at 200 ms its update calls carried ~55
  // ids (the shop answers a page in batches of 100 over about a second), and the id write-back is
  // a third of the calls a backfilled record needs.
  {
    name: "write-back-ids",
    bindings: ["commerce.ids.assigned"],
    handler: writeBackIdBatch,
    partitionKeyOf: idsAssignedKeyOf,
    defaults: { prefetch: 500 },
    batchWindowMs: 200,
    backfillBatchWindowMs: 1000
  },
  // Topic wildcards match whole words: "commerce.*" takes commerce.user_created and the like,
  // not the three-word commerce.ids.assigned.
  // One replica at a time writes a shop object to HubSpot: the partition's owner (issue 12), and
  // the object lease for the window before a new link's key reaches flow A (issue 9 #8).
  {
    name: "sync-commerce-entity",
    bindings: ["commerce.*"],
    handler: leasedPerObject(commerceObjectOf, syncCommerceEvents),
    partitionKeyOf: commerceEventKeyOf
  }
]

export const stepNames: ReadonlyArray<string> = declarations.map((d) => d.name)

const register = (tunings: ReadonlyArray<StepTuning>): ReadonlyArray<RegisteredStep> =>
  declarations.map(({ handler, defaults, ...declared }, i) => ({ step: { ...declared, ...(tunings[i] ?? { ...defaultTuning, ...defaults }) }, handler }))

/** The steps with their tuning read from the environment. */
export const registeredSteps: Config.Config<ReadonlyArray<RegisteredStep>> = tuningsOf(
  stepNames,
  declarations.map((d) => d.defaults ?? {})
).pipe(Config.map(register))

/** The steps with one tuning for all (tests). */
export const withTuning = (tuning: StepTuning = defaultTuning): ReadonlyArray<RegisteredStep> => register(declarations.map(() => tuning))
