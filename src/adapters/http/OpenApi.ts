// OpenAPI 3.1 for the HTTP API (webhook intake, admin API, health, metrics), generated from the
// Schemas the routes decode with. Served at /openapi.json; docs/openapi.yaml is a checked-in copy
// (`bun run openapi`, kept current by test/http/OpenApi.test.ts).
import { Schema } from "effect"
import pkg from "../../../package.json" with { type: "json" }
import * as S from "./AdminSchemas.ts"
import { HubSpotWebhookEvent } from "./HubSpotWebhookEvent.ts"

type Json = Record<string, unknown>

/** JSON Schema 2020-12 is OpenAPI 3.1's own dialect, so a Schema's document goes in as is. */
const jsonSchema = (schema: Schema.Top): Json => {
  const document = Schema.toJsonSchemaDocument(schema)
  if (Object.keys(document.definitions).length > 0) throw new Error("openapi: schema definitions are not supported yet")
  return document.schema as Json
}

const json = (schema: Schema.Top, description: string) => ({ description, content: { "application/json": { schema: jsonSchema(schema) } } })
const error = (description: string) => json(S.ErrorView, description)

/** Query parameters are described by the decoded type (a number is sent as its decimal text). */
const queryParameters = (schema: Schema.Struct<Schema.Struct.Fields>) =>
  Object.entries(schema.fields).map(([name, field]) => ({ name, in: "query", required: false, schema: jsonSchema(Schema.toType(field as Schema.Top)) }))
const pathParameter = (name: string, schema: Schema.Top, description: string) => ({ name, in: "path", required: true, description, schema: jsonSchema(schema) })

const parkedId = pathParameter("id", Schema.String, "`<step>:<message id>`")
const quarantineId = pathParameter("id", Schema.String, "The id the list gave")
const jobId = pathParameter("id", S.JobId, "The id `start` or the list gave")
const adminErrors = { "401": error("No or a wrong bearer token"), "503": error("The store or the broker is unavailable (retry)") }
const body = (schema: Schema.Top) => ({ required: true, content: { "application/json": { schema: jsonSchema(schema) } } })

const admin = (summary: string, operation: Json) => ({
  tags: ["admin"],
  summary,
  security: [{ adminToken: [] }],
  ...operation,
  responses: { ...(operation.responses as Json), ...adminErrors }
})

const WebhookAnswer = Schema.Struct({
  stored: Schema.optionalKey(Schema.Finite),
  duplicates: Schema.optionalKey(Schema.Finite),
  ignored: Schema.optionalKey(Schema.Finite),
  quarantined: Schema.optionalKey(Schema.Union([Schema.Boolean, Schema.Finite]))
})

export const document = () => ({
  openapi: "3.1.0",
  info: {
    title: "crm-sync",
    version: pkg.version,
    description: "HubSpot webhook intake and the operators' API of crm-sync. Admin routes exist only when ADMIN_TOKEN is set."
  },
  tags: [
    { name: "webhooks", description: "HubSpot calls these" },
    { name: "admin", description: "Operators: parked messages, quarantined payloads, entities, queues, budget, backfill jobs" },
    { name: "operations", description: "Probes and metrics" }
  ],
  paths: {
    "/webhooks/hubspot": {
      post: {
        tags: ["webhooks"],
        summary: "HubSpot webhook batch (signature v3); stored durably before the 200",
        security: [{ hubspotSignature: [] }],
        requestBody: body(Schema.Array(HubSpotWebhookEvent).check(Schema.isMaxLength(100))),
        responses: {
          "200": json(WebhookAnswer, "Stored (or quarantined when signed but undecodable)"),
          "401": error("Signature missing, wrong or too old"),
          "413": error("Body too large"),
          "503": error("Store unavailable or no client secret configured: HubSpot retries")
        }
      }
    },
    "/admin/parked": {
      get: admin("Parked messages, oldest failure first", {
        parameters: queryParameters(S.ParkedListQuery),
        responses: { "200": json(S.ParkedPageView, "One page"), "400": error("Bad query") }
      })
    },
    "/admin/parked/{id}": {
      get: admin("One parked message: payload, reason, attempts, history", {
        parameters: [parkedId],
        responses: { "200": json(S.ParkedItemView, "The item"), "404": error("Unknown id") }
      })
    },
    "/admin/parked/{id}/replay": {
      post: admin("Put it back on its step's queue with attempt 1 and mark it replayed (idempotent)", {
        parameters: [parkedId],
        responses: { "200": json(S.SettledView, "Replayed now (done) or already settled (skipped)"), "404": error("Unknown id") }
      })
    },
    "/admin/parked/replay": {
      post: admin("Replay a list of ids, or every unsettled item matching a filter", {
        requestBody: { required: true, content: { "application/json": { schema: { oneOf: [jsonSchema(S.Ids), jsonSchema(S.ReplayMatchingBody)] } } } },
        responses: { "200": json(S.SettledView, "What was replayed, skipped, unknown"), "400": error("Neither ids nor a filter") }
      })
    },
    "/admin/parked/{id}/discard": {
      post: admin("Give up on it, with a note kept on the item", {
        parameters: [parkedId],
        requestBody: body(S.DiscardBody),
        responses: { "200": json(S.SettledView, "Discarded (done) or already settled (skipped)"), "400": error("No note"), "404": error("Unknown id") }
      })
    },
    "/admin/webhooks/quarantined": {
      get: admin("Signed webhook payloads that did not decode", {
        parameters: queryParameters(S.PageQuery),
        responses: { "200": json(S.QuarantinedPageView, "One page"), "400": error("Bad query") }
      })
    },
    "/admin/webhooks/quarantined/{id}": {
      get: admin("One quarantined payload", {
        parameters: [quarantineId],
        responses: { "200": json(S.QuarantinedView, "The payload"), "404": error("Unknown id") }
      })
    },
    "/admin/webhooks/quarantined/{id}/replay": {
      post: admin("Decode it again and store its events; it leaves the quarantine", {
        parameters: [quarantineId],
        responses: { "200": json(S.QuarantineReplayView, "Stored"), "404": error("Unknown id"), "422": error("Still undecodable: kept") }
      })
    },
    "/admin/webhooks/quarantined/{id}/discard": {
      post: admin("Remove it from the quarantine", {
        parameters: [quarantineId],
        responses: { "200": json(S.SettledView, "Removed"), "404": error("Unknown id") }
      })
    },
    "/admin/entities/{type}/{id}": {
      get: admin(
        "An entity by CRM id or commerce id: snapshot versions, links both ways, parked messages and webhook events still in the outbox for it (queue contents are not inspected)",
        {
          parameters: [pathParameter("type", S.EntityType, "CRM object type or commerce entity"), pathParameter("id", S.EntityId, "The id on that side")],
          responses: { "200": json(S.EntityStatusView, "What the store knows"), "400": error("Unknown type or bad id") }
        }
      )
    },
    "/admin/jobs": {
      get: admin("Backfill and reconcile jobs with their progress, oldest first", { responses: { "200": json(S.JobListView, "Every job") } }),
      post: admin("Start a backfill job; the service's replicas run its pages", {
        requestBody: body(S.JobStartBody),
        responses: { "200": json(S.JobViewSchema, "The job, running"), "400": error("Bad definition") }
      })
    },
    "/admin/jobs/{id}": {
      get: admin("One job's state and progress", {
        parameters: [jobId],
        responses: { "200": json(S.JobViewSchema, "The job"), "400": error("Bad id"), "404": error("Unknown job") }
      })
    },
    "/admin/jobs/{id}/{action}": {
      post: admin("Pause (running → paused), resume (paused → running) or cancel (running or paused → cancelled)", {
        parameters: [jobId, pathParameter("action", S.JobAction, "What to do")],
        responses: {
          "200": json(S.JobViewSchema, "The job after the change"),
          "400": error("Bad id or action"),
          "404": error("Unknown job"),
          "409": error("Not possible in the job's state")
        }
      })
    },
    "/admin/queues": {
      get: admin("Depth and consumers of every step queue, retry tier and parking; outbox backlog", { responses: { "200": json(S.QueueStatusView, "Queues") } })
    },
    "/admin/budget": {
      get: admin("HubSpot budget limits and tokens used since start, by lane", { responses: { "200": json(S.BudgetView, "Budget") } })
    },
    "/metrics": {
      get: {
        tags: ["operations"],
        summary: "Prometheus text exposition",
        responses: { "200": { description: "Metrics", content: { "text/plain": { schema: { type: "string" } } } } }
      }
    },
    "/healthz": {
      get: {
        tags: ["operations"],
        summary: "Liveness: can the process still do its job",
        responses: { "200": { description: "ok" }, "503": { description: "restart me" } }
      }
    },
    "/readyz": {
      get: {
        tags: ["operations"],
        summary: "Readiness: do store and broker answer now",
        responses: { "200": { description: "ready" }, "503": { description: "not ready" } }
      }
    },
    "/openapi.json": { get: { tags: ["operations"], summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } }
  },
  components: {
    securitySchemes: {
      adminToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
      hubspotSignature: {
        type: "apiKey",
        in: "header",
        name: "X-HubSpot-Signature-v3",
        description: "HMAC-SHA256 of method, URI, body and X-HubSpot-Request-Timestamp with the app's client secret"
      }
    }
  }
})
