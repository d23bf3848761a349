// A change to the simulated CRM, before it is turned into HubSpot webhook events.
import type { ObjectType } from "./ObjectTypes.ts"

export type ChangeSource = "INTEGRATION" | "CRM_UI" | "API" | "IMPORT"

export type SimChange =
  | { kind: "creation"; objectType: ObjectType; id: string; source: ChangeSource }
  | { kind: "deletion"; objectType: ObjectType; id: string; source: ChangeSource }
  | { kind: "propertyChange"; objectType: ObjectType; id: string; name: string; value: string; source: ChangeSource }
  | { kind: "merge"; objectType: ObjectType; primaryId: string; mergedIds: string[]; moved: number; source: ChangeSource }
  | {
      kind: "associationChange"
      fromType: ObjectType
      fromId: string
      toType: ObjectType
      toId: string
      removed: boolean
      primary: boolean
      source: ChangeSource
    }
