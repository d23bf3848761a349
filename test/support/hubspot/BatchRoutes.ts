// /crm/v3/objects/{type}/batch/{read,create,update,upsert,archive}.
import { batchResponse, field, type ItemError, inputsOf, rejectionItem } from "./BatchResult.ts"
import { itemError, validationError } from "./HubSpotErrors.ts"
import { applyInputAssociations, checkInputAssociations } from "./InputAssociations.ts"
import { archiveObject, createObject, updateObject } from "./ObjectMutations.ts"
import { idPropertyIsValid, withObjectType } from "./ObjectRoutes.ts"
import { type ObjectType, objectTypes } from "./ObjectTypes.ts"
import { readObject, writtenObject } from "./ObjectView.ts"
import type { SimContext } from "./SimContext.ts"
import { bodyRecord, type Route, route, type SimRequest, type SimResponse } from "./SimHttp.ts"
import type { CrmObject } from "./SimStore.ts"
import { checkWrite, propertiesOf } from "./WriteCheck.ts"

const maxInputs = 100

const notFoundError = (t: ObjectType, ids: string[]): ItemError =>
  itemError("OBJECT_NOT_FOUND", `Could not get some ${objectTypes[t].hubspotName} objects, they may be deleted or not exist. Check that ids are valid.`, {
    ids
  })

const read = (ctx: SimContext, req: SimRequest, t: ObjectType, started: string): SimResponse => {
  const body = bodyRecord(req)
  const idProperty = field(body, "idProperty")
  if (!idPropertyIsValid(ctx, t, idProperty ?? null)) return validationError(`Property ${idProperty} is not a unique identifier`)
  const props = Array.isArray(body["properties"]) ? body["properties"].map(String) : []
  const ids = inputsOf(body).map((i) => field(i, "id") ?? "")
  const found = ids.map((id) => ({ id, obj: ctx.store.find(t, id, idProperty) }))
  const missing = found.filter((f) => f.obj === undefined).map((f) => f.id)
  const seen = new Set<string>()
  const results = found.flatMap(({ obj }) => {
    if (obj === undefined || seen.has(obj.id)) return []
    seen.add(obj.id)
    return [readObject(obj, props)]
  })
  return batchResponse(200, started, results, missing.length === 0 ? [] : [notFoundError(t, missing)])
}

const create = (ctx: SimContext, req: SimRequest, t: ObjectType, started: string): SimResponse => {
  const results: unknown[] = []
  const errors: ItemError[] = []
  for (const input of inputsOf(req.body)) {
    const props = propertiesOf(input)
    const rejection = checkWrite(ctx, t, props) ?? checkInputAssociations(ctx.store, t, input)
    if (rejection !== undefined) {
      errors.push(rejectionItem(rejection))
      continue
    }
    const obj = createObject(ctx.store, t, props, "INTEGRATION")
    applyInputAssociations(ctx.store, obj, input, "INTEGRATION")
    results.push(writtenObject(obj))
  }
  return batchResponse(201, started, results, errors)
}

const updateOne = (ctx: SimContext, t: ObjectType, input: unknown, idProperty: string | undefined): CrmObject | ItemError => {
  const id = field(input, "id") ?? ""
  const obj = ctx.store.find(t, id, idProperty)
  if (obj === undefined) return notFoundError(t, [id])
  const props = propertiesOf(input)
  const rejection = checkWrite(ctx, t, props, obj.id)
  return rejection === undefined ? updateObject(ctx.store, obj, props, "INTEGRATION") : rejectionItem(rejection, id)
}

const isError = (r: CrmObject | ItemError): r is ItemError => "category" in r

const update = (ctx: SimContext, req: SimRequest, t: ObjectType, started: string): SimResponse => {
  const inputs = inputsOf(req.body)
  const bad = inputs.map((i) => field(i, "idProperty") ?? null).find((p) => !idPropertyIsValid(ctx, t, p))
  if (bad !== undefined) return validationError(`Property ${bad} is not a unique identifier`)
  const outcomes = inputs.map((i) => updateOne(ctx, t, i, field(i, "idProperty")))
  const results = outcomes.filter((o): o is CrmObject => !isError(o)).map(writtenObject)
  return batchResponse(200, started, results, outcomes.filter(isError))
}

const upsertOne = (ctx: SimContext, t: ObjectType, input: unknown, idProperty: string): unknown => {
  const id = field(input, "id") ?? ""
  const props = { ...propertiesOf(input), [idProperty]: id }
  const existing = ctx.store.findByValue(t, idProperty, id)
  const rejection = checkWrite(ctx, t, props, existing?.id)
  if (rejection !== undefined) return rejectionItem(rejection, id)
  if (existing !== undefined) return { ...writtenObject(updateObject(ctx.store, existing, props, "INTEGRATION")), new: false }
  return { ...writtenObject(createObject(ctx.store, t, props, "INTEGRATION")), new: true }
}

const upsert = (ctx: SimContext, req: SimRequest, t: ObjectType, started: string): SimResponse => {
  const inputs = inputsOf(req.body)
  const idProps = inputs.map((i) => field(i, "idProperty"))
  const bad = idProps.find((p) => p === undefined || p === "email" || !idPropertyIsValid(ctx, t, p))
  if (inputs.length > 0 && (bad !== undefined || idProps.includes(undefined)))
    return validationError(`idProperty ${bad ?? "(missing)"} is not a property with unique values; create it with hasUniqueValue: true`)
  const outcomes = inputs.map((i, n) => upsertOne(ctx, t, i, idProps[n] ?? ""))
  const errors = outcomes.filter((o): o is ItemError => typeof o === "object" && o !== null && "category" in o)
  return batchResponse(
    200,
    started,
    outcomes.filter((o) => !errors.includes(o as ItemError)),
    errors
  )
}

const archive = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  for (const input of inputsOf(req.body)) {
    const obj = ctx.store.find(t, field(input, "id") ?? "")
    if (obj !== undefined) archiveObject(ctx.store, obj, "INTEGRATION")
  }
  return { status: 204 }
}

type BatchOp = (ctx: SimContext, req: SimRequest, t: ObjectType, started: string) => SimResponse

export const batchRoutes = (ctx: SimContext): Route[] => {
  const on = (op: BatchOp) => (req: SimRequest) =>
    withObjectType(req, (t) => {
      const count = inputsOf(req.body).length
      if (count > maxInputs)
        return validationError(`Batch size ${count} exceeds the limit of ${maxInputs} inputs.`, { context: { limit: [String(maxInputs)] } })
      return op(ctx, req, t, new Date().toISOString())
    })
  return [
    route("POST", "/crm/v3/objects/{objectType}/batch/read", on(read)),
    route("POST", "/crm/v3/objects/{objectType}/batch/create", on(create)),
    route("POST", "/crm/v3/objects/{objectType}/batch/update", on(update)),
    route("POST", "/crm/v3/objects/{objectType}/batch/upsert", on(upsert)),
    route("POST", "/crm/v3/objects/{objectType}/batch/archive", on(archive))
  ]
}
