// Runs one program against a fresh layer: each contract test starts from an empty store.
import { type Context, Effect, type Layer } from "effect"

export const portRunner =
  <I, S>(tag: Context.Service<I, S>, makeLayer: () => Layer.Layer<I, unknown>) =>
  <A>(f: (port: S) => Effect.Effect<A, unknown>): Promise<A> =>
    Effect.runPromise(tag.use(f).pipe(Effect.provide(makeLayer())) as Effect.Effect<A>)
