// A real database whose one collection runs something else in place of one chosen driver call,
// once, when armed: a write that dies mid-way (a reset connection) between two steps of a store
// protocol, or another writer that gets in just before it.
import type { Collection, Db } from "mongodb"

type Call = (...args: Array<unknown>) => Promise<unknown>

export const interceptOnce = (
  db: Db,
  collection: string,
  method: string,
  instead: (real: Call, args: Array<unknown>, target: Collection) => Promise<unknown>,
  matches: (args: ReadonlyArray<unknown>) => boolean = () => true
) => {
  let armed = false
  let fired = false
  const real = db.collection(collection)
  const wrapped = new Proxy(real, {
    get: (target, property) => {
      const value = Reflect.get(target, property, target)
      if (typeof value !== "function") return value
      if (property !== method) return value.bind(target)
      return (...args: Array<unknown>) => {
        if (!armed || !matches(args)) return value.apply(target, args)
        armed = false
        fired = true
        return instead(value.bind(target) as Call, args, target)
      }
    }
  })
  const db2 = new Proxy(db, {
    get: (target, property) =>
      property === "collection" ? (name: string) => (name === collection ? wrapped : target.collection(name)) : Reflect.get(target, property, target)
  })
  return {
    db: db2,
    arm: () => {
      armed = true
    },
    fired: () => fired
  }
}

/** The call fails once, as a reset connection would fail it, without reaching the server. */
export const failingOnce = (db: Db, collection: string, method: string, matches?: (args: ReadonlyArray<unknown>) => boolean) =>
  interceptOnce(db, collection, method, () => Promise.reject(new Error(`connection reset (test: ${collection}.${method})`)), matches)
