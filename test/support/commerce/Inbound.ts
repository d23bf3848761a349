// The platform's side of the `tocommerce.*` messages: what each does to its entities and which
// messages it answers with (ids it assigned; its own change events, as a real platform would).
import { isDeepStrictEqual } from "node:util"
import { Option, Schema } from "effect"
import { EntityDelete, EntityMerge, EntityUpsert, IdsAssigned, routingKeys } from "../../../src/application/CommerceMessages.ts"
import { associationRows } from "../../../src/domain/CorrespondenceTable.ts"
import { type Ctx, event, idsAssigned, ignored, iso, locate, type Plan } from "./Plan.ts"
import type { Rec, SimEntity } from "./PlatformState.ts"

/** Links name the commerce field and the linked record's CRM id; the platform stores its own id. */
const resolveLinks = (ctx: Ctx, msg: EntityUpsert) => {
  const resolved: Record<string, string> = {}
  const unresolved: Array<string> = []
  for (const [field, crmId] of Object.entries(msg.links)) {
    const to = associationRows.find((row) => row.entity === msg.entity && row.commerceField === field)?.to
    const target = to === undefined ? undefined : ctx.state.byCrmId(to, crmId)
    if (target === undefined) unresolved.push(field)
    else resolved[field] = target.id
  }
  return { resolved, unresolved }
}

const upsert = (ctx: Ctx, msg: EntityUpsert): Plan => {
  const existing = locate(ctx.state, msg.entity, msg.commerceId, msg.crmId)
  if (existing?.deleted) return ignored(`${existing.id} is deleted`)
  if (existing?.crmVersion !== undefined && msg.version < existing.crmVersion) return ignored(`version ${msg.version} < ${existing.crmVersion}`)
  const { resolved, unresolved } = resolveLinks(ctx, msg)
  const id = existing?.id ?? ctx.state.newId(msg.entity)
  const before: Rec = existing?.record ?? { id, createdAt: iso(ctx.now), updatedAt: iso(ctx.now) }
  const after: Rec = { ...before, ...msg.fields, ...resolved, id, crmId: msg.crmId }
  const changed = existing === undefined || !isDeepStrictEqual(after, before)
  const stored: SimEntity = {
    entity: msg.entity,
    id,
    record: changed ? { ...after, updatedAt: iso(ctx.now) } : before,
    crmVersion: msg.version,
    deleted: false
  }
  const messages =
    existing === undefined
      ? [idsAssigned(ctx, stored, msg.crmId), event(ctx, stored, "created")]
      : changed || ctx.echoNoopUpdates
        ? [event(ctx, stored, "updated")]
        : []
  const outcome = existing === undefined ? `created ${id}` : changed ? `updated ${id}` : `unchanged ${id}`
  return { puts: [stored], messages, outcome: unresolved.length === 0 ? outcome : `${outcome}; unresolved links: ${unresolved.join(", ")}` }
}

const remove = (ctx: Ctx, msg: EntityDelete): Plan => {
  const existing = locate(ctx.state, msg.entity, msg.commerceId, msg.crmId)
  if (existing === undefined || existing.deleted) return ignored("unknown or already deleted")
  if (existing.crmVersion !== undefined && msg.version < existing.crmVersion) return ignored(`version ${msg.version} < ${existing.crmVersion}`)
  const stored = { ...existing, crmVersion: msg.version, deleted: true }
  return { puts: [stored], messages: [event(ctx, stored, "deleted")], outcome: `deleted ${existing.id}` }
}

/** The survivor keeps (or, if it has none, inherits) an entity; the other mirrors are deleted. */
const merge = (ctx: Ctx, msg: EntityMerge): Plan => {
  const survivor = locate(ctx.state, msg.entity, msg.survivorCommerceId, msg.survivorCrmId)
  const found = [...msg.mergedCommerceIds.map((id) => ctx.state.get(msg.entity, id)), ...msg.mergedCrmIds.map((id) => ctx.state.byCrmId(msg.entity, id))]
  const live = found.filter((e): e is SimEntity => e !== undefined && !e.deleted && e.id !== survivor?.id)
  const merged = [...new Map(live.map((e) => [e.id, e])).values()]
  const heir = survivor === undefined || survivor.deleted ? merged.shift() : survivor
  if (heir === undefined) return ignored("no entity for the survivor or the merged records")
  const keeps: SimEntity = { ...heir, record: { ...heir.record, crmId: msg.survivorCrmId }, crmVersion: msg.version }
  const gone = merged.map((e) => ({ ...e, crmVersion: msg.version, deleted: true }))
  const rekeyed = heir.record["crmId"] !== msg.survivorCrmId
  const messages = [...(rekeyed ? [event(ctx, keeps, "updated")] : []), ...gone.map((e) => event(ctx, e, "deleted"))]
  return { puts: [keeps, ...gone], messages, outcome: `kept ${heir.id}; deleted ${gone.map((e) => e.id).join(", ") || "none"}` }
}

const recordCrmId = (ctx: Ctx, msg: IdsAssigned): Plan => {
  const existing = ctx.state.get(msg.entity, msg.commerceId)
  if (existing === undefined) return ignored(`unknown ${msg.entity} ${msg.commerceId}`)
  return { puts: [{ ...existing, record: { ...existing.record, crmId: msg.crmId } }], messages: [], outcome: `recorded crmId ${msg.crmId} on ${existing.id}` }
}

const decoded =
  <A>(schema: Schema.Codec<A>, apply: (ctx: Ctx, msg: A) => Plan) =>
  (payload: unknown): Option.Option<(ctx: Ctx) => Plan> =>
    Schema.decodeUnknownOption(schema)(payload).pipe(Option.map((msg) => (ctx: Ctx) => apply(ctx, msg)))

const byAction = { upsert: decoded(EntityUpsert, upsert), delete: decoded(EntityDelete, remove), merge: decoded(EntityMerge, merge) }

/** The operation a `tocommerce.*` message asks for; none when it is not one the platform understands. */
export const inbound = (type: string, payload: unknown): Option.Option<(ctx: Ctx) => Plan> => {
  if (type === routingKeys.crmIds) return decoded(IdsAssigned, recordCrmId)(payload)
  const action = /^tocommerce\.[a-z]+\.(upsert|delete|merge)$/.exec(type)?.[1] as keyof typeof byAction | undefined
  return action === undefined ? Option.none() : byAction[action](payload)
}
