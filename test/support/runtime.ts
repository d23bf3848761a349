// Runs effects in bun:test against one layer built once per suite (as the service would).
import { afterAll, beforeAll } from "bun:test"
import { type Effect, type Layer, ManagedRuntime } from "effect"

export const suiteRuntime = <R, E>(makeLayer: () => Layer.Layer<R, E>) => {
  let runtime: ManagedRuntime.ManagedRuntime<R, E> | undefined
  beforeAll(() => {
    runtime = ManagedRuntime.make(makeLayer())
  })
  afterAll(async () => {
    await runtime?.dispose()
  }, 60_000)
  return <A, E2>(effect: Effect.Effect<A, E2, R>): Promise<A> => {
    if (runtime === undefined) throw new Error("suiteRuntime used outside a test")
    return runtime.runPromise(effect)
  }
}
