// Serialises handlers of one object inside this process: with prefetch > 1, two events for the
// same record must not read, decide and write at the same time (the later could write older
// data, or a deletion could run beside a creation). Striped, so memory stays bounded; replicas
// still race each other, which the version checks and idempotent writes absorb.
import { Context, Effect, Layer, Semaphore } from "effect"

const STRIPES = 256

const stripeOf = (key: string): number => {
  let hash = 0
  for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0
  return Math.abs(hash) % STRIPES
}

export class ObjectLocks extends Context.Service<
  ObjectLocks,
  { readonly withLock: (key: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> }
>()("crm-sync/application/ObjectLocks") {
  static readonly layer = Layer.effect(
    ObjectLocks,
    Effect.gen(function* () {
      const stripes = yield* Effect.forEach(Array.from({ length: STRIPES }), () => Semaphore.make(1))
      return ObjectLocks.of({ withLock: (key) => (stripes[stripeOf(key)] as Semaphore.Semaphore).withPermits(1) })
    })
  )
}
