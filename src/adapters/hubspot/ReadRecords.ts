// Batch reads: objects through /crm/v3/objects/{type}/batch/read (≤ 100 ids a call), their
// associations through /crm/v4/associations/{from}/{to}/batch/read (≤ 1 000 ids a call).
import { Array as Arr, Effect } from "effect"
import type { CrmIdOf } from "../../application/ports/Crm.ts"
import type { CrmObjectType } from "../../domain/CrmProperties.ts"
import type { Call } from "./HubSpotClient.ts"
import { associationsOf, hubspotType } from "./HubSpotObjectTypes.ts"
import { readAssociations, readBatch } from "./PlainAnswers.ts"
import { type HubSpotObject, type Links, toCrmRecord } from "./ToCrmRecord.ts"

export const READ_LIMIT = 100
export const ASSOCIATION_READ_LIMIT = 1000

const joinLinks = (a: Links, b: Links): Links =>
  new Map([...new Set([...a.keys(), ...b.keys()])].map((to) => [to, new Map([...(a.get(to) ?? []), ...(b.get(to) ?? [])])] as const))

export const makeRead = (call: Call, propertiesOf: (type: CrmObjectType) => ReadonlyArray<string>) => {
  /** Objects without associations come back as per-item errors (207): they simply have none. */
  const linksOf = Effect.fn("HubSpotCrm.linksOf")(function* (type: CrmObjectType, ids: ReadonlyArray<string>) {
    // Every linked type's calls side by side: an order's contacts and companies cost one round trip.
    const asks = associationsOf[type].flatMap(({ to }) => Arr.chunksOf(ids, ASSOCIATION_READ_LIMIT).map((chunk) => ({ to, chunk })))
    const answers = yield* Effect.forEach(
      asks,
      ({ to, chunk }) => call("associations.read", "api", (c) => readAssociations(c, hubspotType[type], hubspotType[to], chunk)),
      { concurrency: "unbounded" }
    )
    const links = new Map<CrmObjectType, Map<string, ReadonlyArray<string>>>(associationsOf[type].map(({ to }) => [to, new Map()]))
    // v4 answers carry numeric ids; the port's ids are decimal strings (readAssociations makes them so).
    asks.forEach(({ to }, i) => {
      for (const r of answers[i]!.results) links.get(to)!.set(r.from, [...new Set(r.to)])
    })
    return links as Links
  })

  const objectsOf = Effect.fn("HubSpotCrm.objectsOf")(function* (type: CrmObjectType, ids: ReadonlyArray<string>) {
    // The chunks side by side (the budget paces them), not one round trip after another.
    const answers = yield* Effect.forEach(
      Arr.chunksOf([...new Set(ids)], READ_LIMIT),
      (chunk) => call("objects.read", "api", (c) => readBatch(c, hubspotType[type], chunk, propertiesOf(type))),
      { concurrency: "unbounded" }
    )
    // Unknown ids come back as a 207 OBJECT_NOT_FOUND error: the port leaves them out.
    const found = new Map<string, HubSpotObject>()
    for (const data of answers) for (const o of data.results) found.set(o.id, o)
    return [...found.values()]
  })

  /** Records with their association ids, for objects already fetched (reads and searches). */
  const withLinks = Effect.fn("HubSpotCrm.withLinks")(function* <T extends CrmObjectType>(type: T, objects: ReadonlyArray<HubSpotObject>) {
    const links =
      objects.length === 0
        ? new Map()
        : yield* linksOf(
            type,
            objects.map((o) => o.id)
          )
    return objects.map((o) => toCrmRecord(type, o, links))
  })

  /**
   * Objects and their associations side by side: a live change waits for one HubSpot round trip
   * instead of two (and one budget take). A merged-away id answers with its survivor, whose links
   * were not asked for: those are read after. Ids HubSpot does not know cost an association call.
   */
  const read = Effect.fn("HubSpotCrm.read")(function* <T extends CrmObjectType>(type: T, ids: ReadonlyArray<CrmIdOf[T]>) {
    const asked = [...new Set<string>(ids)]
    if (asked.length === 0) return []
    const [objects, links] = yield* Effect.all([objectsOf(type, asked), linksOf(type, asked)], { concurrency: "unbounded" })
    const known = new Set(asked)
    const survivors = objects.filter((o) => !known.has(o.id)).map((o) => o.id)
    const all = survivors.length === 0 ? links : joinLinks(links, yield* linksOf(type, survivors))
    return objects.map((o) => toCrmRecord(type, o, all))
  })

  return { read, withLinks }
}
