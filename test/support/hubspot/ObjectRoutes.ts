// /crm/v3/objects/{type}: read, list, create, update, archive, merge.
import { errorResponse, notFound, validationError } from "./HubSpotErrors.ts"
import { applyInputAssociations, checkInputAssociations } from "./InputAssociations.ts"
import { archiveObject, createObject, mergeObjects, updateObject } from "./ObjectMutations.ts"
import { type ObjectType, resolveObjectType } from "./ObjectTypes.ts"
import { readObjectWithAssociations, writtenObject } from "./ObjectView.ts"
import type { SimContext } from "./SimContext.ts"
import { bodyRecord, json, listParam, type Route, route, type SimRequest, type SimResponse } from "./SimHttp.ts"
import { checkWrite, propertiesOf } from "./WriteCheck.ts"

export const withObjectType = (req: SimRequest, run: (t: ObjectType) => SimResponse): SimResponse => {
  const raw = req.params["objectType"] ?? ""
  const t = resolveObjectType(raw)
  return t === undefined ? validationError(`Unable to infer object type from: ${raw}`) : run(t)
}

const rejectionResponse = (r: { status: number; category: string; message: string; context: Record<string, string[]> }) =>
  errorResponse(r.status, r.category, r.message, { context: r.context })

const idPropertyIsValid = (ctx: SimContext, t: ObjectType, idProperty: string | null): boolean =>
  idProperty === null ||
  idProperty === "hs_object_id" ||
  (t === "contacts" && idProperty === "email") ||
  ctx.store.propertyDefs(t).get(idProperty)?.hasUniqueValue === true

const getOne = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const idProperty = req.query.get("idProperty")
  if (!idPropertyIsValid(ctx, t, idProperty)) return validationError(`Property ${idProperty} is not a unique identifier`)
  const id = req.params["objectId"] ?? ""
  const obj = ctx.store.find(t, id, idProperty ?? undefined)
  if (obj === undefined) return notFound(id)
  return json(200, readObjectWithAssociations(ctx.store, obj, listParam(req.query, "properties"), listParam(req.query, "associations")))
}

const listPage = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const limit = Number(req.query.get("limit") ?? 10)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return validationError("limit must be between 1 and 100")
  const after = Number(req.query.get("after") ?? 0)
  const all = ctx.store.objectsFrom(t, req.query.get("archived") === "true", after, limit + 1)
  const page = all.slice(0, limit)
  const next = all[limit]
  const props = listParam(req.query, "properties")
  const assocs = listParam(req.query, "associations")
  const results = page.map((o) => readObjectWithAssociations(ctx.store, o, props, assocs))
  const paging = next === undefined ? {} : { paging: { next: { after: next.id, link: `?after=${next.id}` } } }
  return json(200, { results, ...paging })
}

const create = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const props = propertiesOf(req.body)
  const rejection = checkWrite(ctx, t, props) ?? checkInputAssociations(ctx.store, t, req.body)
  if (rejection !== undefined) return rejectionResponse(rejection)
  const obj = createObject(ctx.store, t, props, "INTEGRATION")
  applyInputAssociations(ctx.store, obj, req.body, "INTEGRATION")
  return json(201, writtenObject(obj))
}

const update = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const idProperty = req.query.get("idProperty")
  if (!idPropertyIsValid(ctx, t, idProperty)) return validationError(`Property ${idProperty} is not a unique identifier`)
  const id = req.params["objectId"] ?? ""
  const obj = ctx.store.find(t, id, idProperty ?? undefined)
  if (obj === undefined) return notFound(id)
  const props = propertiesOf(req.body)
  const rejection = checkWrite(ctx, t, props, obj.id)
  if (rejection !== undefined) return rejectionResponse(rejection)
  return json(200, writtenObject(updateObject(ctx.store, obj, props, "INTEGRATION")))
}

const archive = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const obj = ctx.store.find(t, req.params["objectId"] ?? "")
  if (obj !== undefined) archiveObject(ctx.store, obj, "INTEGRATION")
  return { status: 204 }
}

const merge = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  if (t === "orders") return validationError("Merging is not supported for this object type")
  const body = bodyRecord(req)
  const primaryId = String(body["primaryObjectId"] ?? "")
  const mergedId = String(body["objectIdToMerge"] ?? "")
  const primary = ctx.store.find(t, primaryId)
  const merged = ctx.store.find(t, mergedId)
  if (primary === undefined) return notFound(primaryId)
  if (merged === undefined) return notFound(mergedId)
  if (primary.id === merged.id) return validationError("Cannot merge an object with itself")
  return json(200, writtenObject(mergeObjects(ctx.store, primary, merged, "INTEGRATION")))
}

export const objectRoutes = (ctx: SimContext): Route[] => {
  const on = (run: (ctx: SimContext, req: SimRequest, t: ObjectType) => SimResponse) => (req: SimRequest) => withObjectType(req, (t) => run(ctx, req, t))
  return [
    route("POST", "/crm/v3/objects/{objectType}/merge", on(merge)),
    route("GET", "/crm/v3/objects/{objectType}", on(listPage)),
    route("POST", "/crm/v3/objects/{objectType}", on(create)),
    route("GET", "/crm/v3/objects/{objectType}/{objectId}", on(getOne)),
    route("PATCH", "/crm/v3/objects/{objectType}/{objectId}", on(update)),
    route("DELETE", "/crm/v3/objects/{objectType}/{objectId}", on(archive))
  ]
}

export { idPropertyIsValid, rejectionResponse }
