// Flow B: the commerce platform assigned ids to entities we sent; write them onto the HubSpot
// records (the unique id properties the upserts match on) and remember the link.
import { Effect, Schema } from "effect"
import { commerceIdProperty, crmTypeOf } from "../domain/CorrespondenceTable.ts"
import { IdsAssigned } from "./CommerceMessages.ts"
import { recordCrmWrites } from "./EchoLedger.ts"
import { CrmBatcher } from "./CrmBatcher.ts"
import { linkIds } from "./LinkLookups.ts"
import type { Envelope } from "./Step.ts"
import { StepFailure, toStepFailure } from "./StepFailure.ts"

const decode = Schema.decodeUnknownEffect(IdsAssigned)

export const writeBackIds = Effect.fn("writeBackIds")(
  function* (envelope: Envelope) {
    const ids = yield* decode(envelope.payload).pipe(Effect.mapError((e) => new StepFailure({ retryable: false, reason: `not an id assignment: ${e.message}` })))
    const type = crmTypeOf[ids.entity]
    const properties = { [commerceIdProperty[ids.entity]]: ids.commerceId }
    // Recorded before the write: the webhook reporting it may arrive before the call returns.
    yield* recordCrmWrites(type, ids.crmId, properties)
    const outcome = yield* (yield* CrmBatcher).update(type, ids.crmId, properties)
    if (outcome._tag === "Rejected") {
      return yield* new StepFailure({ retryable: false, reason: `HubSpot refused ${type} ${ids.crmId}: ${outcome.category} ${outcome.message}` })
    }
    // Linked only once HubSpot took the id, so a refused write leaves no link to a dead record.
    yield* linkIds(ids.entity, ids.crmId, ids.commerceId)
  },
  Effect.mapError(toStepFailure)
)
