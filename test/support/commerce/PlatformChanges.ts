// Changes made on the platform itself (a shop admin, a checkout): stored, then announced with the
// platform's `commerce.<entity>_<action>` event.
import { isDeepStrictEqual } from "node:util"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import { type Ctx, event, iso, type Plan } from "./Plan.ts"
import type { Rec, SimEntity } from "./PlatformState.ts"

const live = (ctx: Ctx, entity: CommerceEntity, id: string): SimEntity => {
  const existing = ctx.state.get(entity, id)
  // A test that changes an entity that is not there has a bug: fail it loudly.
  if (existing === undefined || existing.deleted) throw new Error(`commerce simulator: no live ${entity} ${id}`)
  return existing
}

/** `fields.id` (a string) names the id, e.g. to mimic numeric shop ids; otherwise one is assigned. Explicit createdAt/updatedAt win. */
export const create = (ctx: Ctx, entity: CommerceEntity, fields: Rec): Plan => {
  const id = typeof fields["id"] === "string" ? fields["id"] : ctx.state.newId(entity)
  if (ctx.state.get(entity, id) !== undefined) throw new Error(`commerce simulator: ${entity} ${id} exists`)
  const stored: SimEntity = { entity, id, record: { createdAt: iso(ctx.now), updatedAt: iso(ctx.now), ...fields, id }, crmVersion: undefined, deleted: false }
  return { puts: [stored], messages: [event(ctx, stored, "created")], outcome: `created ${id}` }
}

export const update = (ctx: Ctx, entity: CommerceEntity, id: string, fields: Rec): Plan => {
  const existing = live(ctx, entity, id)
  const after = { ...existing.record, ...fields, id }
  if (isDeepStrictEqual(after, existing.record)) return { puts: [], messages: [], outcome: `unchanged ${id}` }
  // An explicit updatedAt wins, so tests can stage conflicts at chosen times.
  const stored = { ...existing, record: "updatedAt" in fields ? after : { ...after, updatedAt: iso(ctx.now) } }
  return { puts: [stored], messages: [event(ctx, stored, "updated")], outcome: `updated ${id}` }
}

export const remove = (ctx: Ctx, entity: CommerceEntity, id: string): Plan => {
  const stored = { ...live(ctx, entity, id), deleted: true }
  return { puts: [stored], messages: [event(ctx, stored, "deleted")], outcome: `deleted ${id}` }
}
