// Id links, unique per side through two unique indexes. Re-linking deletes the old links and
// inserts the new one; a unique-index collision means a concurrent link won, so we retry.
import { Effect, Option } from "effect"
import type { Db } from "mongodb"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"
import { collections } from "./Indexes.ts"
import { orDuplicate, run } from "./MongoOp.ts"

interface LinkDoc {
  entity: CommerceEntity
  crmId: string
  commerceId: string
}

export const makeLinks = (db: Db) => {
  const links = db.collection<LinkDoc>(collections.links)

  const relink = async (entity: CommerceEntity, crmId: string, commerceId: string) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      await links.deleteMany({ entity, $or: [{ crmId }, { commerceId }] })
      if ((await orDuplicate(links.insertOne({ entity, crmId, commerceId }))) !== "duplicate") return
    }
    throw new Error(`link ${entity} ${crmId}↔${commerceId} kept colliding with concurrent links`)
  }

  /** Moves one merged id's link to the survivor; false when the survivor got a link meanwhile. */
  const move = async (entity: CommerceEntity, merged: LinkDoc, survivorCrmId: string) => {
    await links.deleteOne({ entity, crmId: merged.crmId })
    const moved = await orDuplicate(links.insertOne({ entity, crmId: survivorCrmId, commerceId: merged.commerceId }))
    if (moved === "duplicate") await orDuplicate(links.insertOne({ entity, crmId: merged.crmId, commerceId: merged.commerceId }))
    return moved !== "duplicate"
  }

  const lookup = (query: Partial<LinkDoc>, pick: (doc: LinkDoc) => string) =>
    run(() => links.findOne(query)).pipe(Effect.map((doc) => Option.fromNullishOr(doc).pipe(Option.map(pick))))

  return {
    link: (entity: CommerceEntity, crmId: string, commerceId: string) => run(() => relink(entity, crmId, commerceId)),
    commerceIdOf: (entity: CommerceEntity, crmId: string) => lookup({ entity, crmId }, (d) => d.commerceId),
    crmIdOf: (entity: CommerceEntity, commerceId: string) => lookup({ entity, commerceId }, (d) => d.crmId),
    repoint: (entity: CommerceEntity, mergedCrmIds: ReadonlyArray<string>, survivorCrmId: string) =>
      run(async () => {
        if ((await links.findOne({ entity, crmId: survivorCrmId })) !== null) return
        for (const crmId of mergedCrmIds) {
          const merged = crmId === survivorCrmId ? null : await links.findOne({ entity, crmId })
          if (merged !== null && (await move(entity, merged, survivorCrmId))) return
        }
      })
  }
}
