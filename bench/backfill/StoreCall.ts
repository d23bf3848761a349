// The benches' own store calls (job status, pause), tried again while a loaded store times out:
// they are not what is measured.
import type { Effect, ManagedRuntime } from "effect"

export const retryingStoreCall =
  <R>(runtime: ManagedRuntime.ManagedRuntime<R, unknown>) =>
  async <A>(effect: Effect.Effect<A, unknown, R>): Promise<A> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runtime.runPromise(effect)
      } catch (error) {
        if (attempt >= 10) throw error
        await Bun.sleep(1000)
      }
    }
  }
