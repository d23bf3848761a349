// /crm/v4 associations: batch read/create/associate-default/archive and the per-object default PUT.
import { associate, unassociate } from "./AssociationMutations.ts"
import { associationTypes, defaultAssociationType, findAssociationType } from "./AssociationTypes.ts"
import { batchResponse, field, type ItemError, inputsOf } from "./BatchResult.ts"
import { errorResponse, itemError, notFound, validationError } from "./HubSpotErrors.ts"
import { type ObjectType, objectTypes, resolveObjectType } from "./ObjectTypes.ts"
import type { SimContext } from "./SimContext.ts"
import { json, type Route, route, type SimRequest, type SimResponse } from "./SimHttp.ts"

type Pair = { from: ObjectType; to: ObjectType }
type PairOp = (ctx: SimContext, req: SimRequest, pair: Pair, started: string) => SimResponse

const idOf = (v: unknown): string => field(v, "id") ?? ""

const withPair = (req: SimRequest, fromKey: string, toKey: string, run: (pair: Pair) => SimResponse): SimResponse => {
  const from = resolveObjectType(req.params[fromKey] ?? "")
  const to = resolveObjectType(req.params[toKey] ?? "")
  if (from === undefined || to === undefined) return validationError(`Unable to infer object type from: ${req.params[from === undefined ? fromKey : toKey]}`)
  if (defaultAssociationType(from, to) === undefined) return validationError(`No association types exist between ${from} and ${to}`)
  return run({ from, to })
}

const missing = (pair: Pair, fromId: string, toId: string): ItemError =>
  itemError("OBJECT_NOT_FOUND", `One or more objects were not found: ${objectTypes[pair.from].singular} ${fromId} / ${objectTypes[pair.to].singular} ${toId}`, {
    fromObjectId: [fromId],
    toObjectId: [toId]
  })

const labelsOf = (typeIds: number[]): Array<{ category: string; typeId: number; label: string | null }> =>
  typeIds.map((typeId) => ({ category: "HUBSPOT_DEFINED", typeId, label: associationTypes.find((t) => t.typeId === typeId)?.label ?? null }))

const read: PairOp = (ctx, req, pair, started) => {
  const results: unknown[] = []
  const errors: ItemError[] = []
  for (const input of inputsOf(req.body)) {
    const id = idOf(input)
    const edges = ctx.store.edgesFrom(pair.from, id, pair.to)
    if (edges.length === 0) {
      errors.push({
        ...itemError("OBJECT_NOT_FOUND", `No ${objectTypes[pair.to].singular} is associated with ${objectTypes[pair.from].singular} ${id}.`, {
          fromObjectId: [id]
        }),
        subCategory: "crm.associations.NO_ASSOCIATIONS_FOUND"
      })
      continue
    }
    results.push({ from: { id }, to: edges.map((e) => ({ toObjectId: Number(e.toId), associationTypes: labelsOf(e.typeIds) })) })
  }
  return batchResponse(200, started, results, errors)
}

const endpoints = (ctx: SimContext, pair: Pair, fromId: string, toId: string) => {
  const from = ctx.store.find(pair.from, fromId)
  const to = ctx.store.find(pair.to, toId)
  return from === undefined || to === undefined ? undefined : { from, to }
}

const labelsPair = (pair: Pair, fromId: string, toId: string, labels: Array<string | null>) => ({
  fromObjectTypeId: objectTypes[pair.from].typeId,
  fromObjectId: Number(fromId),
  toObjectTypeId: objectTypes[pair.to].typeId,
  toObjectId: Number(toId),
  labels: labels.filter((l): l is string => l !== null)
})

const create: PairOp = (ctx, req, pair, started) => {
  const results: unknown[] = []
  const errors: ItemError[] = []
  for (const input of inputsOf(req.body)) {
    const [fromId, toId] = [idOf((input as { from?: unknown }).from), idOf((input as { to?: unknown }).to)]
    const found = endpoints(ctx, pair, fromId, toId)
    const specs = ((input as { types?: Array<{ associationTypeId?: unknown }> }).types ?? []).map((s) =>
      findAssociationType(Number(s.associationTypeId), pair.from)
    )
    if (found === undefined) {
      errors.push(missing(pair, fromId, toId))
      continue
    }
    if (specs.length === 0 || specs.some((s) => s === undefined || s.to !== pair.to)) {
      errors.push(itemError("VALIDATION_ERROR", "invalid association type id", { fromObjectId: [fromId] }))
      continue
    }
    for (const s of specs) if (s !== undefined) associate(ctx.store, found.from, found.to, s, "INTEGRATION")
    results.push(
      labelsPair(
        pair,
        found.from.id,
        found.to.id,
        specs.map((s) => s?.label ?? null)
      )
    )
  }
  return batchResponse(201, started, results, errors)
}

const associateDefault = (ctx: SimContext, pair: Pair, fromId: string, toId: string): unknown[] | ItemError => {
  const found = endpoints(ctx, pair, fromId, toId)
  const def = defaultAssociationType(pair.from, pair.to)
  if (found === undefined || def === undefined) return missing(pair, fromId, toId)
  associate(ctx.store, found.from, found.to, def, "INTEGRATION")
  const spec = (typeId: number) => ({ associationCategory: "HUBSPOT_DEFINED", associationTypeId: typeId })
  const inverse = defaultAssociationType(pair.to, pair.from)
  return [
    { from: { id: found.from.id }, to: { id: found.to.id }, associationSpec: spec(def.typeId) },
    ...(inverse === undefined ? [] : [{ from: { id: found.to.id }, to: { id: found.from.id }, associationSpec: spec(inverse.typeId) }])
  ]
}

const createDefault: PairOp = (ctx, req, pair, started) => {
  const outcomes = inputsOf(req.body).map((i) => associateDefault(ctx, pair, idOf((i as { from?: unknown }).from), idOf((i as { to?: unknown }).to)))
  const errors = outcomes.filter((o): o is ItemError => !Array.isArray(o))
  return batchResponse(200, started, outcomes.filter(Array.isArray).flat(), errors)
}

const archive: PairOp = (ctx, req, pair) => {
  for (const input of inputsOf(req.body)) {
    const fromId = idOf((input as { from?: unknown }).from)
    const tos = (input as { to?: unknown[] }).to ?? []
    for (const to of tos) unassociate(ctx.store, { objectType: pair.from, id: fromId }, { objectType: pair.to, id: idOf(to) }, "INTEGRATION")
  }
  return { status: 204 }
}

const putDefault = (ctx: SimContext, req: SimRequest, pair: Pair): SimResponse => {
  const fromId = req.params["fromObjectId"] ?? ""
  const toId = req.params["toObjectId"] ?? ""
  const outcome = associateDefault(ctx, pair, fromId, toId)
  if (!Array.isArray(outcome)) return ctx.store.find(pair.from, fromId) === undefined ? notFound(fromId) : notFound(toId)
  return json(200, { status: "COMPLETE", results: outcome, startedAt: ctx.store.nowIso(), completedAt: ctx.store.nowIso() })
}

const getPage = (ctx: SimContext, req: SimRequest, pair: Pair): SimResponse => {
  const id = req.params["fromObjectId"] ?? ""
  if (ctx.store.find(pair.from, id) === undefined) return notFound(id)
  const edges = ctx.store.edgesFrom(pair.from, id, pair.to)
  return json(200, { results: edges.map((e) => ({ toObjectId: Number(e.toId), associationTypes: labelsOf(e.typeIds) })) })
}

const limitFor = (path: string): number => (path.endsWith("/batch/read") ? 1000 : 2000)

export const associationRoutes = (ctx: SimContext): Route[] => {
  const batch = (op: PairOp) => (req: SimRequest) =>
    withPair(req, "fromObjectType", "toObjectType", (pair) => {
      const limit = limitFor(req.path)
      const count = inputsOf(req.body).length
      if (count > limit) return errorResponse(400, "VALIDATION_ERROR", `Batch size ${count} exceeds the limit of ${limit} inputs.`)
      return op(ctx, req, pair, ctx.store.nowIso())
    })
  const single = (run: (ctx: SimContext, req: SimRequest, pair: Pair) => SimResponse) => (req: SimRequest) =>
    withPair(req, "fromObjectType", "toObjectType", (pair) => run(ctx, req, pair))
  const base = "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch"
  return [
    route("POST", `${base}/read`, batch(read)),
    route("POST", `${base}/create`, batch(create)),
    route("POST", `${base}/associate/default`, batch(createDefault)),
    route("POST", `${base}/archive`, batch(archive)),
    route("PUT", "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}", single(putDefault)),
    route("GET", "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/{toObjectType}", single(getPage)),
    route(
      "DELETE",
      "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/{toObjectType}/{toObjectId}",
      single((c, r, pair) => {
        unassociate(
          c.store,
          { objectType: pair.from, id: r.params["fromObjectId"] ?? "" },
          { objectType: pair.to, id: r.params["toObjectId"] ?? "" },
          "INTEGRATION"
        )
        return { status: 204 }
      })
    )
  ]
}
