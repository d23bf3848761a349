// The Crm port over HubSpot's REST API through the official SDK. Every call spends a token of
// the process's LocalBudget for the current Lane and reports HubSpot's limit headers back to it.
import { Config, Effect, Layer, type Redacted } from "effect"
import { SEARCH_PAGE } from "../../application/BackfillCommands.ts"
import { Crm } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import { makeCount } from "./CountRecords.ts"
import * as HubSpotClient from "./HubSpotClient.ts"
import { defaultProperties } from "./HubSpotObjectTypes.ts"
import { makeList } from "./ListRecords.ts"
import { makeModifiedBetween } from "./ModifiedBetween.ts"
import { makeRead } from "./ReadRecords.ts"
import { makeWrite } from "./WriteRecords.ts"

export const DEFAULT_BASE_PATH = "https://api.hubapi.com"

export interface Options extends HubSpotClient.ClientOptions {
  /** Properties a read or search returns, per type. Defaults to the correspondence table's. */
  readonly properties?: Partial<Readonly<Record<CrmObjectType, ReadonlyArray<string>>>>
  /** Search page size, at most 200 (the default: a search call is worth 200 records). */
  readonly searchPageSize?: number
}

/** Needs a LocalBudget: it leases the account-wide budget shared with every replica and lane. */
export const make = Effect.fn("HubSpotCrm.make")(function* (options: Options) {
  const { call, searchOrCall } = yield* HubSpotClient.make(options)
  const propertiesOf = (type: CrmObjectType) => options.properties?.[type] ?? defaultProperties(type)
  const { read, withLinks } = makeRead(call, propertiesOf)
  const { upsert, update, associate, archive } = makeWrite(call)
  const modifiedBetween = makeModifiedBetween(call, propertiesOf, withLinks, Math.min(SEARCH_PAGE, options.searchPageSize ?? SEARCH_PAGE))
  return Crm.of({
    read,
    upsert,
    update,
    associate,
    archive,
    modifiedBetween,
    list: makeList(call, searchOrCall, propertiesOf, withLinks),
    count: makeCount(call)
  })
})

export const layer = (options: Options) => Layer.effect(Crm, make(options))

export const config: Config.Config<{ readonly accessToken: Redacted.Redacted<string>; readonly basePath: string }> = Config.all({
  accessToken: Config.Redacted("HUBSPOT_ACCESS_TOKEN"),
  basePath: Config.String("HUBSPOT_BASE_PATH").pipe(Config.withDefault(DEFAULT_BASE_PATH))
})
