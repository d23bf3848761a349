// Counts store round trips per port and operation, for tests that bound store ops per entity:
// each port's service is wrapped so every operation run (not merely built) adds one.
import { type Context, Effect, Layer } from "effect"
import { IdLinks } from "../../src/application/ports/IdLinks.ts"
import { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import { Snapshots } from "../../src/application/ports/Snapshots.ts"
import { WriteLedger } from "../../src/application/ports/WriteLedger.ts"
import type { StorePorts } from "./MemoryStorePorts.ts"

export interface StoreCounter {
  /** Operations run so far, keyed "Port.operation" (e.g. "Snapshots.saveCrm"). */
  readonly counts: () => Readonly<Record<string, number>>
  /** Operations run so far on one port, or on every port. */
  readonly total: (port?: string) => number
  readonly reset: () => void
  /** Wraps every store port `inner` provides , counting their operations. */
  readonly layer: <E, R>(inner: Layer.Layer<StorePorts, E, R>) => Layer.Layer<StorePorts, E, R>
}

const wrapped = <S extends object>(service: S, bump: (op: string) => void): S => {
  const counted = (op: string, effect: () => Effect.Effect<unknown, unknown, unknown>) =>
    Effect.suspend(() => {
      bump(op)
      return effect()
    })
  return Object.fromEntries(
    Object.entries(service).map(([op, member]) => [
      op,
      typeof member === "function"
        ? (...args: ReadonlyArray<unknown>) => counted(op, () => member(...args))
        : Effect.isEffect(member)
          ? counted(op, () => member)
          : member
    ])
  ) as S
}

export const makeStoreCounter = (): StoreCounter => {
  const counts = new Map<string, number>()
  const counted = <I, S extends object>(tag: Context.Service<I, S>, port: string) =>
    Layer.effect(
      tag,
      Effect.map(tag.use(Effect.succeed), (service: S) => wrapped(service, (op) => counts.set(`${port}.${op}`, (counts.get(`${port}.${op}`) ?? 0) + 1)))
    )
  return {
    counts: () => Object.fromEntries(counts),
    total: (port) => [...counts].reduce((sum, [key, n]) => (port === undefined || key.startsWith(`${port}.`) ? sum + n : sum), 0),
    reset: () => counts.clear(),
    layer: (inner) =>
      Layer.mergeAll(
        counted(Snapshots, "Snapshots"),
        counted(IdLinks, "IdLinks"),
        counted(WriteLedger, "WriteLedger"),
        counted(ParkedItems, "ParkedItems")
      ).pipe(Layer.provide(inner))
  }
}
