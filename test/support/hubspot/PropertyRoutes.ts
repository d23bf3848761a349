// /crm/v3/properties/{type} and its /groups.
import type { PropertyDefinition } from "./DefaultProperties.ts"
import { errorResponse, validationError } from "./HubSpotErrors.ts"
import { withObjectType } from "./ObjectRoutes.ts"
import type { ObjectType } from "./ObjectTypes.ts"
import type { SimContext } from "./SimContext.ts"
import { bodyRecord, json, type Route, route, type SimRequest, type SimResponse } from "./SimHttp.ts"

const view = (p: PropertyDefinition) => ({
  name: p.name,
  label: p.label,
  type: p.type,
  fieldType: p.fieldType,
  description: p.description,
  groupName: p.groupName,
  options: p.options,
  displayOrder: -1,
  calculated: false,
  externalOptions: false,
  hasUniqueValue: p.hasUniqueValue,
  hidden: false,
  hubspotDefined: p.hubspotDefined,
  modificationMetadata: { archivable: !p.hubspotDefined, readOnlyDefinition: p.hubspotDefined, readOnlyValue: p.readOnlyValue },
  formField: false,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
  archived: false
})

const types = new Set(["string", "number", "date", "datetime", "enumeration", "bool"])

const missingField = (b: Record<string, unknown>): string | undefined =>
  ["name", "label", "type", "fieldType", "groupName"].find((k) => typeof b[k] !== "string" || b[k] === "")

const optionsOf = (raw: unknown): PropertyDefinition["options"] =>
  (Array.isArray(raw) ? raw : []).map((o: Record<string, unknown>, i) => ({
    label: String(o["label"] ?? o["value"]),
    value: String(o["value"]),
    displayOrder: Number(o["displayOrder"] ?? i),
    hidden: o["hidden"] === true
  }))

const create = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const b = bodyRecord(req)
  const missing = missingField(b)
  if (missing !== undefined) return validationError(`Invalid input JSON: missing required field ${missing}`)
  if (!types.has(String(b["type"]))) return validationError(`Unknown property type ${String(b["type"])}`)
  const defs = ctx.store.propertyDefs(t)
  const name = String(b["name"])
  if (defs.has(name)) return errorResponse(409, "OBJECT_ALREADY_EXISTS", `Property already exists: ${name}`, { subCategory: "Properties.PROPERTY_EXISTS" })
  if (!ctx.store.groupDefs(t).has(String(b["groupName"]))) return validationError(`Property group ${String(b["groupName"])} does not exist`)
  const now = ctx.store.nowIso()
  const def: PropertyDefinition = {
    name,
    label: String(b["label"]),
    type: String(b["type"]),
    fieldType: String(b["fieldType"]),
    groupName: String(b["groupName"]),
    description: String(b["description"] ?? ""),
    options: optionsOf(b["options"]),
    hasUniqueValue: b["hasUniqueValue"] === true,
    hubspotDefined: false,
    readOnlyValue: false,
    createdAt: now,
    updatedAt: now
  }
  defs.set(name, def)
  return json(201, view(def))
}

const getOne = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const name = req.params["propertyName"] ?? ""
  const def = ctx.store.propertyDefs(t).get(name)
  return def === undefined ? errorResponse(404, "OBJECT_NOT_FOUND", `Unable to find property ${name}`) : json(200, view(def))
}

const createGroup = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const b = bodyRecord(req)
  if (typeof b["name"] !== "string" || typeof b["label"] !== "string") return validationError("name and label are required")
  const groups = ctx.store.groupDefs(t)
  if (groups.has(b["name"])) return errorResponse(409, "OBJECT_ALREADY_EXISTS", `Property group already exists: ${b["name"]}`)
  const group = { name: b["name"], label: b["label"], displayOrder: Number(b["displayOrder"] ?? -1), archived: false }
  groups.set(group.name, group)
  return json(201, group)
}

const getGroup = (ctx: SimContext, req: SimRequest, t: ObjectType): SimResponse => {
  const group = ctx.store.groupDefs(t).get(req.params["groupName"] ?? "")
  return group === undefined ? errorResponse(404, "OBJECT_NOT_FOUND", "Unable to find property group") : json(200, group)
}

export const propertyRoutes = (ctx: SimContext): Route[] => {
  const on = (run: (ctx: SimContext, req: SimRequest, t: ObjectType) => SimResponse) => (req: SimRequest) => withObjectType(req, (t) => run(ctx, req, t))
  return [
    route(
      "GET",
      "/crm/v3/properties/{objectType}/groups",
      on((c, _r, t) => json(200, { results: [...c.store.groupDefs(t).values()] }))
    ),
    route("POST", "/crm/v3/properties/{objectType}/groups", on(createGroup)),
    route("GET", "/crm/v3/properties/{objectType}/groups/{groupName}", on(getGroup)),
    route(
      "GET",
      "/crm/v3/properties/{objectType}",
      on((c, _r, t) => json(200, { results: [...c.store.propertyDefs(t).values()].map(view) }))
    ),
    route("POST", "/crm/v3/properties/{objectType}", on(create)),
    route("GET", "/crm/v3/properties/{objectType}/{propertyName}", on(getOne))
  ]
}
