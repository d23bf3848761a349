// The HubSpot SDK calls the global `fetch` without a signal, so a timed-out call would leave its
// socket open (issue 9 #15). A call run through `withSignal` has that signal added to every fetch
// it makes (carried by AsyncLocalStorage across the SDK's promise chain); other fetches in the
// process are untouched.
import { AsyncLocalStorage } from "node:async_hooks"

const current = new AsyncLocalStorage<AbortSignal>()
let installed = false

const install = (): void => {
  if (installed) return
  installed = true
  const original = globalThis.fetch
  const wrapped = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const signal = current.getStore()
    return original(input, signal === undefined || init?.signal != null ? init : { ...init, signal })
  }
  globalThis.fetch = Object.assign(wrapped, original)
}

/** Runs `f` so that every fetch it makes is aborted with `signal`. */
export const withSignal = <A>(signal: AbortSignal, f: () => Promise<A>): Promise<A> => {
  install()
  return current.run(signal, f)
}
