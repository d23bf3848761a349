// The consumer steps and their retry policies. The bus adapters derive their topology from this.
import type { Step } from "./Step.ts"

const DEFAULT_TIERS = [1_000, 10_000, 60_000, 600_000]

export interface StepTuning {
  readonly retryTiersMs: ReadonlyArray<number>
  readonly maxAttempts: number
  readonly deliveryLimit: number
  readonly prefetch: number
}

export const defaultTuning: StepTuning = { retryTiersMs: DEFAULT_TIERS, maxAttempts: 8, deliveryLimit: 5, prefetch: 10 }

export const stepNames = ["sync-crm-object", "write-back-ids", "sync-commerce-entity"] as const
export type StepName = (typeof stepNames)[number]
/** Each step's own retry policy (configuration may set one per step). */
export type StepTunings = Readonly<Record<StepName, StepTuning>>
export const sameTuning = (tuning: StepTuning = defaultTuning): StepTunings => ({
  "sync-crm-object": tuning,
  "write-back-ids": tuning,
  "sync-commerce-entity": tuning
})

export const syncCrmObjectStep = (tuning: StepTuning = defaultTuning): Step => ({
  name: "sync-crm-object",
  bindings: ["crm.contact.*", "crm.company.*", "crm.order.*"],
  ...tuning
})

export const writeBackIdsStep = (tuning: StepTuning = defaultTuning): Step => ({
  name: "write-back-ids",
  bindings: ["commerce.ids.assigned"],
  ...tuning
})

export const syncCommerceEntityStep = (tuning: StepTuning = defaultTuning): Step => ({
  name: "sync-commerce-entity",
  // Topic wildcards match whole words: "commerce.*" takes commerce.user_created and the like,
  // not the three-word commerce.ids.assigned.
  bindings: ["commerce.*"],
  ...tuning
})
