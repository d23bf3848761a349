// One-off account setup: the `ecommerce` property group and the unique id properties that batch
// upserts match on. Idempotent: what exists is reported as found, never changed.
import { Client } from "@hubspot/api-client"
import { Effect, Redacted, Schedule, Schema } from "effect"
import { CrmError } from "../../application/ports/Crm.ts"
import { commerceIdProperty } from "../../domain/CorrespondenceTable.ts"
import { classifyHubSpotError } from "./ClassifyHubSpotError.ts"

export const GROUP = { name: "ecommerce", label: "E-commerce" }

export const idProperties = [
  { objectType: "contacts", name: commerceIdProperty.user, label: "E-commerce user id", unique: true },
  { objectType: "companies", name: commerceIdProperty.business, label: "E-commerce business id", unique: true },
  { objectType: "orders", name: commerceIdProperty.purchase, label: "E-commerce purchase id", unique: true }
] as const

/** Properties of the correspondence table that HubSpot accounts do not have by default. */
export const customProperties = [{ objectType: "companies", name: "vat_number", label: "VAT number", unique: false }] as const

export interface SetupStep {
  readonly objectType: string
  readonly kind: "group" | "property"
  readonly name: string
  /** "not unique": a property of that name exists without unique values; upserts will fail. */
  readonly status: "created" | "found" | "not unique"
}

export class SetupFailed extends Schema.TaggedError<SetupFailed>()("SetupFailed", { message: Schema.String }) {}

/** What a user can do about a refusal: which token, which scope, where to add it. */
export const explain = (objectType: string, action: string, error: unknown): string => {
  const reason = classifyHubSpotError(error, { now: 0, dailyResetAt: 0 })
  const scopes = `crm.schemas.${objectType}.read and crm.schemas.${objectType}.write`
  if (reason._tag === "CrmUnauthorized" && isStatus(error, 401))
    return `HubSpot did not accept the access token (401) while trying to ${action}. Check HUBSPOT_ACCESS_TOKEN: copy the token of your private app (Settings → Integrations → Private Apps), or rotate it if it was revoked.`
  if (reason._tag === "CrmUnauthorized")
    return `The private app is missing a scope (403) needed to ${action}. In HubSpot, open Settings → Integrations → Private Apps → your app → Scopes, add ${scopes}, save, and run this again.`
  return `Could not ${action}: ${new CrmError({ reason }).message}`
}

const waitFor = (error: unknown): number | undefined => {
  const reason = classifyHubSpotError(error, { now: 0, dailyResetAt: 0 })
  // A daily cap is not worth waiting for here; a rolling limit, a lock or a migration is.
  if (reason._tag === "CrmThrottled") return reason.retryAfterMs
  return reason._tag === "CrmTransient" ? reason.retryAfterMs : undefined
}

const isStatus = (error: unknown, status: number) => typeof error === "object" && error !== null && "code" in error && error.code === status

/** Looks a definition up; a 404 means create it, a 409 on create means someone just did. */
const ensure = (step: Omit<SetupStep, "status">, find: () => Promise<SetupStep["status"]>, create: () => Promise<unknown>) => {
  const action = `create the ${step.kind} ${step.name} on ${step.objectType}`
  const attempt = async (): Promise<SetupStep> => {
    try {
      return { ...step, status: await find() }
    } catch (error) {
      if (!isStatus(error, 404)) throw error
    }
    try {
      await create()
      return { ...step, status: "created" }
    } catch (error) {
      if (isStatus(error, 409)) return { ...step, status: "found" }
      throw error
    }
  }
  return Effect.tryPromise({ try: attempt, catch: (error) => error }).pipe(
    // A 429/423/477 only says "later": wait as asked, a few times, before giving up.
    Effect.retry({
      while: (error) => waitFor(error) !== undefined,
      schedule: Schedule.recurs(4).pipe(Schedule.modifyDelay(({ input }) => Effect.succeed(waitFor(input) ?? 0)))
    }),
    Effect.mapError((error) => new SetupFailed({ message: explain(step.objectType, action, error) }))
  )
}

export const setupHubSpot = Effect.fn("setupHubSpot")(function* (options: { readonly accessToken: Redacted.Redacted<string>; readonly basePath: string }) {
  const client = new Client({ accessToken: Redacted.value(options.accessToken), basePath: options.basePath, numberOfApiCallRetries: 0 })
  const { groupsApi, coreApi } = client.crm.properties
  const steps: Array<SetupStep> = []
  for (const p of [...idProperties, ...customProperties]) {
    steps.push(
      yield* ensure(
        { objectType: p.objectType, kind: "group", name: GROUP.name },
        () => groupsApi.getByName(p.objectType, GROUP.name).then(() => "found" as const),
        () => groupsApi.create(p.objectType, GROUP)
      )
    )
    const definition = { name: p.name, label: p.label, type: "string", fieldType: "text", groupName: GROUP.name, hasUniqueValue: p.unique }
    steps.push(
      yield* ensure(
        { objectType: p.objectType, kind: "property", name: p.name },
        () => coreApi.getByName(p.objectType, p.name).then((found) => (found.hasUniqueValue === true || !p.unique ? "found" : "not unique")),
        // The SDK types `type`/`fieldType` as enums it does not export from its root.
        () => coreApi.create(p.objectType, definition as unknown as Parameters<typeof coreApi.create>[1])
      )
    )
  }
  return steps
})

export const describeStep = (s: SetupStep): string =>
  s.status === "not unique"
    ? `PROBLEM ${s.objectType} property ${s.name} exists without unique values; HubSpot cannot change that. Archive it (and its values) in Settings → Properties, then run this again.`
    : `${s.status === "created" ? "created" : "found  "} ${s.objectType} ${s.kind} ${s.name}`
