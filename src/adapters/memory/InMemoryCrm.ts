// An in-memory CRM that keeps the rules that matter to the sync: upserts only on a commerce id
// property created with unique values, unique values enforced, at most 100 inputs per batch call,
// per-item rejections, opaque string ids, a last-modified timestamp per record.
import { Clock, Effect, Layer } from "effect"
import {
  type CountFilter,
  Crm,
  CrmError,
  type CrmIdOf,
  type CrmLink,
  type CrmRecordOf,
  CrmRejected,
  type ItemOutcome,
  type ListRange,
  type RecordPage,
  type UpsertInput
} from "../../application/ports/Crm.ts"
import { commerceIdProperty, entityOf } from "../../domain/CorrespondenceTable.ts"
import type { CrmObjectType, CrmProperties } from "../../domain/CrmProperties.ts"
import { isEmail } from "../../domain/ValidationRules.ts"

export const BATCH_LIMIT = 100
const PAGE_SIZE = 100

interface StoredObject {
  readonly id: string
  properties: Record<string, string | null>
  updatedAt: number
}

export interface Options {
  /** Properties created with `hasUniqueValue`, per type. Defaults to the commerce id properties. */
  readonly uniqueProperties?: Readonly<Record<CrmObjectType, ReadonlyArray<string>>>
}

const defaultUnique: Record<CrmObjectType, ReadonlyArray<string>> = {
  contact: [commerceIdProperty.user],
  company: [commerceIdProperty.business],
  order: [commerceIdProperty.purchase]
}

const rejected = (message: string) => new CrmError({ reason: new CrmRejected({ message }) })

type Rejection = Omit<Extract<ItemOutcome<string>, { _tag: "Rejected" }>, "_tag">

export const make = (options: Options = {}) =>
  Effect.sync(() => {
    const unique = options.uniqueProperties ?? defaultUnique
    const objects: Record<CrmObjectType, Map<string, StoredObject>> = { contact: new Map(), company: new Map(), order: new Map() }
    const links = new Set<string>()
    let nextId = 1000
    let lastStamp = 0
    /** Batch calls made, per kind: lets tests see that large inputs were chunked. */
    const calls = { read: 0, upsert: 0, update: 0, associate: 0, list: 0 }

    // Strictly increasing stamps keep "modified since" scans exact even within one millisecond.
    const stamp = Effect.map(Clock.currentTimeMillis, (now) => (lastStamp = Math.max(now, lastStamp + 1)))

    const holderOf = (type: CrmObjectType, property: string, value: string) => [...objects[type].values()].find((o) => o.properties[property] === value)

    const checkItem = (type: CrmObjectType, self: StoredObject | undefined, properties: CrmProperties): Rejection | undefined => {
      const email = properties["email"]
      if (type === "contact" && typeof email === "string" && !isEmail(email)) {
        return { retryable: false, message: `Email address ${email} is invalid` }
      }
      for (const property of unique[type]) {
        const value = properties[property]
        const holder = typeof value === "string" ? holderOf(type, property, value) : undefined
        if (holder !== undefined && holder !== self) {
          return { retryable: false, message: `${property}=${value} already belongs to ${holder.id}` }
        }
      }
      return undefined
    }

    const write = (type: CrmObjectType, target: StoredObject | undefined, properties: CrmProperties, at: number): ItemOutcome<string> => {
      const problem = checkItem(type, target, properties)
      if (problem !== undefined) return { _tag: "Rejected", ...problem }
      if (target !== undefined) {
        Object.assign(target.properties, properties)
        target.updatedAt = at
        return { _tag: "Applied", id: target.id, created: false }
      }
      const id = String(nextId++)
      objects[type].set(id, { id, properties: { ...properties, hs_object_id: id }, updatedAt: at })
      return { _tag: "Applied", id, created: true }
    }

    const linked = (type: CrmObjectType, id: string, other: CrmObjectType) =>
      [...links].flatMap((key) => {
        const [from, to] = key.split("|") as [string, string]
        return from === `${type}:${id}` && to.startsWith(`${other}:`) ? [to.slice(other.length + 1)] : []
      })

    const toRecord = <T extends CrmObjectType>(type: T, o: StoredObject): CrmRecordOf[T] => {
      const base = { id: o.id, properties: { ...o.properties }, updatedAt: o.updatedAt }
      const record =
        type === "contact"
          ? { ...base, companyIds: linked(type, o.id, "company") }
          : type === "company"
            ? { ...base, contactIds: linked(type, o.id, "contact") }
            : { ...base, contactIds: linked(type, o.id, "contact"), companyIds: linked(type, o.id, "company") }
      return record as unknown as CrmRecordOf[T]
    }

    /** Splits like the HubSpot adapter does; each chunk is one "call" of ≤ 100 inputs. */
    const chunked = <A, B>(kind: keyof typeof calls, inputs: ReadonlyArray<A>, f: (chunk: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>>) =>
      Effect.gen(function* () {
        const out: Array<B> = []
        for (let i = 0; i < inputs.length; i += BATCH_LIMIT) {
          calls[kind]++
          out.push(...(yield* f(inputs.slice(i, i + BATCH_LIMIT))))
        }
        return out
      })

    const read = <T extends CrmObjectType>(type: T, ids: ReadonlyArray<CrmIdOf[T]>) =>
      chunked("read", ids, (chunk) => Effect.succeed(chunk.flatMap((id) => (objects[type].has(id) ? [toRecord(type, objects[type].get(id)!)] : []))))

    const upsert = Effect.fn("InMemoryCrm.upsert")(function* <T extends CrmObjectType>(type: T, inputs: ReadonlyArray<UpsertInput>) {
      const idProperty = commerceIdProperty[entityOf[type]]
      // An account that was not set up: the whole call is refused, as the real CRM would.
      if (inputs.length > 0 && !unique[type].includes(idProperty))
        return yield* rejected(`${idProperty} is not a unique property of ${type}; run the account setup`)
      const at = yield* stamp
      return (yield* chunked("upsert", inputs, (chunk) =>
        Effect.succeed(chunk.map((i) => write(type, holderOf(type, idProperty, i.commerceId), { ...i.properties, [idProperty]: i.commerceId }, at)))
      )) as ReadonlyArray<ItemOutcome<CrmIdOf[T]>>
    })

    const update = Effect.fn("InMemoryCrm.update")(function* <T extends CrmObjectType>(
      type: T,
      inputs: ReadonlyArray<{ readonly id: CrmIdOf[T]; readonly properties: CrmProperties }>
    ) {
      const at = yield* stamp
      return (yield* chunked("update", inputs, (chunk) =>
        Effect.succeed(
          chunk.map((i): ItemOutcome<string> => {
            const target = objects[type].get(i.id)
            return target === undefined
              ? { _tag: "Rejected", retryable: false, message: `${type} ${i.id} does not exist` }
              : write(type, target, i.properties, at)
          })
        )
      )) as ReadonlyArray<ItemOutcome<CrmIdOf[T]>>
    })

    const associate = Effect.fn("InMemoryCrm.associate")(function* (input: ReadonlyArray<CrmLink>) {
      const missing = input.find((l) => !objects[l.fromType].has(l.fromId) || !objects[l.toType].has(l.toId))
      if (missing !== undefined) {
        return yield* rejected(`cannot associate ${missing.fromType} ${missing.fromId} with ${missing.toType} ${missing.toId}: not found`)
      }
      yield* chunked("associate", input, (chunk) =>
        Effect.sync(() => {
          for (const l of chunk) {
            links.add(`${l.fromType}:${l.fromId}|${l.toType}:${l.toId}`)
            links.add(`${l.toType}:${l.toId}|${l.fromType}:${l.fromId}`)
          }
          return chunk
        })
      )
    })

    const archive = <T extends CrmObjectType>(type: T, ids: ReadonlyArray<CrmIdOf[T]>) =>
      Effect.sync(() => {
        for (const id of ids) {
          objects[type].delete(id)
          for (const key of [...links]) if (key.startsWith(`${type}:${id}|`) || key.endsWith(`|${type}:${id}`)) links.delete(key)
        }
      })

    const modifiedBetween = <T extends CrmObjectType>(type: T, window: { readonly from: number; readonly to: number }, after?: string) =>
      Effect.sync(() => {
        const all = [...objects[type].values()]
          .filter((o) => o.updatedAt >= window.from && o.updatedAt < window.to)
          .sort((a, b) => a.updatedAt - b.updatedAt || Number(a.id) - Number(b.id))
        const start = after === undefined ? 0 : Number(after)
        const page = all.slice(start, start + PAGE_SIZE)
        return { records: page.map((o) => toRecord(type, o)), next: start + PAGE_SIZE < all.length ? String(start + PAGE_SIZE) : undefined }
      })

    // As HubSpot's list API: `after` is the first id of the next page, ids compare as numbers.
    const list = <T extends CrmObjectType>(type: T, range: ListRange) =>
      Effect.sync((): RecordPage<T> => {
        const from = range.after === undefined ? 0 : Number(range.after)
        const to = range.toId === undefined ? Number.POSITIVE_INFINITY : Number(range.toId)
        const all = [...objects[type].keys()]
          .map(Number)
          .filter((id) => id >= from)
          .sort((a, b) => a - b)
        const size = Math.max(1, range.limit)
        const page = all.slice(0, size).filter((id) => id <= to)
        const next = all[size]
        calls.list += Math.max(1, Math.ceil(Math.min(size, all.length) / PAGE_SIZE))
        return {
          records: page.map((id) => toRecord(type, objects[type].get(String(id))!)),
          next: next === undefined || next > to ? undefined : String(next)
        }
      })

    const count = (type: CrmObjectType, f: CountFilter) =>
      Effect.sync(
        () =>
          [...objects[type].values()].filter(
            (o) =>
              (f.fromId === undefined || Number(o.id) >= Number(f.fromId)) &&
              (f.toId === undefined || Number(o.id) <= Number(f.toId)) &&
              (f.from === undefined || o.updatedAt >= f.from) &&
              (f.to === undefined || o.updatedAt < f.to)
          ).length
      )

    /** Test and embedded-mode hook: a record created as a person in HubSpot would. */
    const seed = (type: CrmObjectType, properties: CrmProperties) =>
      Effect.map(stamp, (at) => {
        const outcome = write(type, undefined, properties, at)
        if (outcome._tag === "Rejected") throw new Error(outcome.message)
        return outcome.id
      })

    return Object.assign(Crm.of({ read, upsert, update, associate, archive, modifiedBetween, list, count }), { calls, seed })
  })

export const layer = (options: Options = {}) => Layer.effect(Crm, make(options))
