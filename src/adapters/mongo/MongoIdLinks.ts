// Id links on MongoDB / FerretDB, unique per side through two unique indexes. Linking deletes
// every old link of the given ids and inserts the new ones; a unique-index collision means a
// concurrent link won, so those are tried again. Two round trips per attempt, for any number.
import { Effect, Layer } from "effect"
import type { Collection, Db, Filter } from "mongodb"
import { type IdLink, IdLinks, type LinkKey } from "../../application/ports/IdLinks.ts"
import type { CommerceEntity } from "../../domain/CorrespondenceTable.ts"
import { collections, ensureIndexes } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { RaceLost } from "./MongoErrors.ts"
import { insertAll, oneBatch, orDuplicate, run, type Turn } from "./MongoOp.ts"

type LinkDoc = IdLink

const attempts = 5

const idsByEntity = (keys: ReadonlyArray<LinkKey>): ReadonlyMap<CommerceEntity, ReadonlySet<string>> => {
  const grouped = new Map<CommerceEntity, Set<string>>()
  for (const { entity, id } of keys) {
    const ids = grouped.get(entity)
    if (ids === undefined) grouped.set(entity, new Set([id]))
    else ids.add(id)
  }
  return grouped
}

/** One clause per entity and side. */
const matching = (crmIds: ReadonlyArray<LinkKey>, commerceIds: ReadonlyArray<LinkKey>): Array<Filter<LinkDoc>> => [
  ...[...idsByEntity(crmIds)].map(([entity, ids]) => ({ entity, crmId: { $in: [...ids] } })),
  ...[...idsByEntity(commerceIds)].map(([entity, ids]) => ({ entity, commerceId: { $in: [...ids] } }))
]

/**
 * The links any clause matches: one query per clause, run together, not one `$or` query. A store
 * that pushes `{entity, crmId: {$in}}` down to its index (FerretDB with our patch) pushes no `$or`
 * down and would scan every link instead; MongoDB answers either shape from the index.
 */
const findMatching = async (links: Collection<LinkDoc>, clauses: ReadonlyArray<Filter<LinkDoc>>) => {
  const found = (await Promise.all(clauses.map((clause) => links.find(clause, oneBatch).toArray()))).flat()
  return [...new Map(found.map((d) => [String(d._id), d] as const)).values()]
}

/**
 * The pairings left once the links are applied in order: a later pairing of an id replaces every
 * earlier one holding either of its ids. Indexed by id, not searched: a backfill page links 1 000.
 */
const lastPairings = (links: ReadonlyArray<IdLink>): ReadonlyArray<IdLink> => {
  const kept = new Map<number, IdLink>()
  const byCrm = new Map<string, number>()
  const byCommerce = new Map<string, number>()
  const crmKey = (l: IdLink) => JSON.stringify([l.entity, l.crmId])
  const commerceKey = (l: IdLink) => JSON.stringify([l.entity, l.commerceId])
  links.forEach((l, i) => {
    for (const earlier of [byCrm.get(crmKey(l)), byCommerce.get(commerceKey(l))]) {
      const replaced = earlier === undefined ? undefined : kept.get(earlier)
      if (earlier === undefined || replaced === undefined) continue
      kept.delete(earlier)
      byCrm.delete(crmKey(replaced))
      byCommerce.delete(commerceKey(replaced))
    }
    kept.set(i, l)
    byCrm.set(crmKey(l), i)
    byCommerce.set(commerceKey(l), i)
  })
  return [...kept.values()]
}

const insertLinks = async (links: Collection<LinkDoc>, pending: ReadonlyArray<IdLink>, turn: Turn): Promise<ReadonlyArray<IdLink>> => {
  if (pending.length === 0) return []
  const lost = await insertAll(
    links,
    pending.map((l) => ({ entity: l.entity, crmId: l.crmId, commerceId: l.commerceId })),
    turn
  )
  return pending.filter((_, i) => lost.has(i))
}

/**
 * Inserted first: new pairings (a record's first link, a backfill's) cost one round trip. Those
 * that collide with a stored link are read: a link already stored exactly as wanted costs nothing
 * more; only pairings that conflict with a wanted link are deleted, so a reader never sees an
 * unchanged link missing; then they are inserted again.
 */
const relinkAll = async (links: Collection<LinkDoc>, wanted: ReadonlyArray<IdLink>, turn: Turn) => {
  let pending = await insertLinks(links, lastPairings(wanted), turn)
  for (let attempt = 0; attempt < attempts && pending.length > 0; attempt++) {
    const keys = (side: "crmId" | "commerceId") => pending.map((l) => ({ entity: l.entity, id: l[side] }))
    const existing = await findMatching(links, matching(keys("crmId"), keys("commerceId")))
    pending = pending.filter((l) => !existing.some((d) => d.entity === l.entity && d.crmId === l.crmId && d.commerceId === l.commerceId))
    if (pending.length === 0) return
    const stale = existing.filter((d) => pending.some((l) => l.entity === d.entity && (l.crmId === d.crmId || l.commerceId === d.commerceId)))
    if (stale.length > 0) await links.deleteMany({ _id: { $in: stale.map((d) => d._id) } })
    pending = await insertLinks(links, pending, turn)
  }
  if (pending.length > 0) throw new RaceLost(`${pending.length} links kept colliding with concurrent links`)
}

/**
 * Moves the first linked merged id's link to the survivor, unless the survivor has (or gets) one.
 * One update of the link's CRM id, not a delete and an insert: a repoint that died between those
 * two (a reset connection) left the shop record linked to nothing, and its retry found no link to
 * move. The unique CRM-id index refuses the update when the survivor got a link meanwhile, and the
 * merged id then keeps its own.
 */
const repointTo = async (links: Collection<LinkDoc>, entity: CommerceEntity, mergedCrmIds: ReadonlyArray<string>, survivorCrmId: string) => {
  const found = await links.find({ entity, crmId: { $in: [survivorCrmId, ...mergedCrmIds] } }, oneBatch).toArray()
  if (found.some((d) => d.crmId === survivorCrmId)) return
  const merged = mergedCrmIds.flatMap((id) => found.filter((d) => d.crmId === id))[0]
  if (merged === undefined) return
  await orDuplicate(links.updateOne({ _id: merged._id }, { $set: { crmId: survivorCrmId } }))
}

export const make = Effect.fnUntraced(function* (db: Db) {
  yield* ensureIndexes(db, [collections.links])
  const links = db.collection<LinkDoc>(collections.links)
  return IdLinks.of({
    find: (query) => {
      const clauses = matching(query.crmIds ?? [], query.commerceIds ?? [])
      return clauses.length === 0
        ? Effect.succeed([])
        : run(async () => (await findMatching(links, clauses)).map(({ entity, crmId, commerceId }) => ({ entity, crmId, commerceId })))
    },
    link: (wanted) => run((turn) => relinkAll(links, wanted, turn)),
    repoint: (entity, mergedCrmIds, survivorCrmId) =>
      run(() =>
        repointTo(
          links,
          entity,
          mergedCrmIds.filter((id) => id !== survivorCrmId),
          survivorCrmId
        )
      )
  })
})

export const layer = Layer.effect(IdLinks, Effect.flatMap(MongoDb, make))
