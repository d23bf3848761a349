// What one platform operation decides: the entities to store, the messages to publish first, and
// a word on what happened (for `received()`). Planning is pure so a failed publish changes nothing.
import type { CommerceEvent, IdsAssigned } from "../../../src/application/CommerceMessages.ts"
import { routingKeys } from "../../../src/application/CommerceMessages.ts"
import type { LaneName } from "../../../src/application/Lane.ts"
import type { OutgoingMessage } from "../../../src/application/Step.ts"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import type { SimEntity, StateView } from "./PlatformState.ts"

export interface Settings {
  /** "payload": events carry the entity; "id": only its id, so the service must use REST. */
  readonly eventsCarry: "payload" | "id"
  /** Publish `<entity>_updated` even for an upsert that changed nothing (a real platform might). */
  readonly echoNoopUpdates: boolean
}

export interface Ctx extends Settings {
  readonly state: StateView
  readonly now: number
  /**
   * The lane of the message being answered (the contract: what the platform sends because of one
   * of our messages travels in that message's lane); live for the platform's own changes.
   */
  readonly lane?: LaneName
}

export interface Plan {
  readonly puts: ReadonlyArray<SimEntity>
  readonly messages: ReadonlyArray<OutgoingMessage>
  readonly outcome: string
}

export const ignored = (why: string): Plan => ({ puts: [], messages: [], outcome: `ignored: ${why}` })

const message = (ctx: Ctx, type: string, payload: unknown): OutgoingMessage => ({
  id: crypto.randomUUID(),
  type,
  payload,
  occurredAt: ctx.now,
  lane: ctx.lane ?? "live"
})

export const event = (ctx: Ctx, e: SimEntity, action: "created" | "updated" | "deleted"): OutgoingMessage => {
  const body: CommerceEvent = { id: e.id, occurredAt: ctx.now, ...(ctx.eventsCarry === "payload" ? { payload: e.record } : {}) }
  return message(ctx, routingKeys.commerceEvent(e.entity, action), body)
}

export const idsAssigned = (ctx: Ctx, e: SimEntity, crmId: string): OutgoingMessage => {
  const body: IdsAssigned = { entity: e.entity, crmId, commerceId: e.id }
  return message(ctx, routingKeys.commerceIds, body)
}

export const iso = (now: number): string => new Date(now).toISOString()

/** An id the caller named, or the CRM id's mirror, whichever the platform knows. */
export const locate = (state: StateView, entity: CommerceEntity, commerceId: string | undefined, crmId: string): SimEntity | undefined =>
  (commerceId === undefined ? undefined : state.get(entity, commerceId)) ?? state.byCrmId(entity, crmId)
