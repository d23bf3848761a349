// Id links in process memory: two maps per entity keep both ids unique; re-linking either id
// moves its link. Links of one call are applied in order (the last pairing of an id wins).
import { Effect, Layer } from "effect"
import { type IdLink, IdLinks } from "../../application/ports/IdLinks.ts"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"

interface EntityLinks {
  readonly byCrm: Map<string, string>
  readonly byCommerce: Map<string, string>
}

const unlink = (links: EntityLinks, crmId: string, commerceId: string) => {
  const oldCommerce = links.byCrm.get(crmId)
  if (oldCommerce !== undefined) links.byCommerce.delete(oldCommerce)
  const oldCrm = links.byCommerce.get(commerceId)
  if (oldCrm !== undefined) links.byCrm.delete(oldCrm)
}

const setLink = (links: EntityLinks, crmId: string, commerceId: string) => {
  unlink(links, crmId, commerceId)
  links.byCrm.set(crmId, commerceId)
  links.byCommerce.set(commerceId, crmId)
}

export const make = Effect.sync(() => {
  const all = new Map<CommerceEntity, EntityLinks>()
  const linksOf = (entity: CommerceEntity): EntityLinks => {
    const existing = all.get(entity)
    if (existing !== undefined) return existing
    const created: EntityLinks = { byCrm: new Map(), byCommerce: new Map() }
    all.set(entity, created)
    return created
  }

  return IdLinks.of({
    find: (query) =>
      Effect.sync(() => {
        // Keyed by entity and both ids, so a link matched from both sides is returned once.
        const found = new Map<string, IdLink>()
        const add = (entity: CommerceEntity, crmId: string | undefined, commerceId: string | undefined) => {
          if (crmId !== undefined && commerceId !== undefined) found.set(JSON.stringify([entity, crmId, commerceId]), { entity, crmId, commerceId })
        }
        for (const { entity, id } of query.crmIds ?? []) add(entity, id, linksOf(entity).byCrm.get(id))
        for (const { entity, id } of query.commerceIds ?? []) add(entity, linksOf(entity).byCommerce.get(id), id)
        return [...found.values()]
      }),
    link: (links) =>
      Effect.sync(() => {
        for (const l of links) setLink(linksOf(l.entity), l.crmId, l.commerceId)
      }),
    repoint: (entity, mergedCrmIds, survivorCrmId) =>
      Effect.sync(() => {
        const l = linksOf(entity)
        for (const merged of mergedCrmIds) {
          const commerceId = l.byCrm.get(merged)
          if (merged === survivorCrmId || commerceId === undefined || l.byCrm.has(survivorCrmId)) continue
          l.byCrm.delete(merged)
          setLink(l, survivorCrmId, commerceId)
        }
      })
  })
})

export const layer = Layer.effect(IdLinks, make)
