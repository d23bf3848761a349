// Id link lookups for the per-message use cases: many ids of one entity in one store query.
import { Effect, Option } from "effect"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import type { CommerceEntity } from "../../src/domain/CorrespondenceTable.ts"

/** The commerce id linked to each of these CRM ids (unlinked ones are left out). */
export const commerceIdsOf = (entity: CommerceEntity, crmIds: ReadonlyArray<string>) =>
  IdLinks.use((links) => links.find({ crmIds: crmIds.map((id) => ({ entity, id })) })).pipe(
    Effect.map((found): ReadonlyMap<string, string> => new Map(found.filter((l) => l.entity === entity).map((l) => [l.crmId, l.commerceId])))
  )

export const commerceIdOf = (entity: CommerceEntity, crmId: string) =>
  Effect.map(commerceIdsOf(entity, [crmId]), (ids) => Option.fromUndefinedOr(ids.get(crmId)))

export const crmIdOf = (entity: CommerceEntity, commerceId: string) =>
  IdLinks.use((links) => links.find({ commerceIds: [{ entity, id: commerceId }] })).pipe(
    Effect.map((found) => Option.fromUndefinedOr(found.find((l) => l.entity === entity && l.commerceId === commerceId)?.crmId))
  )

export const linkIds = (entity: CommerceEntity, crmId: string, commerceId: string) => IdLinks.use((links) => links.link([{ entity, crmId, commerceId }]))
