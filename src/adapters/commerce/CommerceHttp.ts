// One GET against the commerce platform under a timeout, and what its status means for the port.
import { Effect, Redacted } from "effect"
import { liveFirst } from "../../application/LiveFirst.ts"
import { CommerceApiError, CommerceRejected, CommerceUnavailable } from "../../application/ports/CommerceApi.ts"

export interface Answer {
  readonly status: number
  readonly body: string
}
export type Get = (path: string, query: Readonly<Record<string, string | undefined>>) => Effect.Effect<Answer, CommerceApiError>

const unavailable = (message: string, status?: number) =>
  new CommerceApiError({ reason: new CommerceUnavailable({ message, ...(status === undefined ? {} : { status }) }) })

/** A 2xx whose body breaks the contract: retrying will not fix it. */
export const unexpected = (path: string, status: number, detail: string) =>
  new CommerceApiError({ reason: new CommerceRejected({ message: `GET ${path}: unexpected response: ${detail}`, status }) })

// 408 and 429 are 4xx by number but say "try again later", so they retry like a 5xx.
const isTransient = (status: number) => status >= 500 || status === 408 || status === 429

/** The failure for a status the caller did not expect. */
export const rejected = (path: string, answer: Answer) => {
  const message = `GET ${path}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`.trim()
  return Effect.fail(
    isTransient(answer.status)
      ? unavailable(message, answer.status)
      : new CommerceApiError({ reason: new CommerceRejected({ message, status: answer.status }) })
  )
}

const urlOf = (baseUrl: string, path: string, query: Readonly<Record<string, string | undefined>>): URL => {
  const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`)
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value)
  return url
}

export const makeGet =
  (options: { readonly baseUrl: string; readonly token: Redacted.Redacted<string> | undefined; readonly timeoutMs: number }): Get =>
  (path, query) => {
    const headers: Record<string, string> = { accept: "application/json" }
    if (options.token !== undefined) headers["authorization"] = `Bearer ${Redacted.value(options.token)}`
    const get = Effect.tryPromise({
      // The signal aborts the request when the timeout interrupts it, so no socket is left behind.
      try: async (signal) => {
        const response = await fetch(urlOf(options.baseUrl, path, query), { headers, signal })
        return { status: response.status, body: await response.text() }
      },
      catch: (error) => unavailable(`GET ${path}: ${error instanceof Error ? error.message : String(error)}`)
    }).pipe(
      Effect.timeoutOrElse({
        duration: options.timeoutMs,
        orElse: () => Effect.fail(unavailable(`GET ${path}: no answer within ${options.timeoutMs} ms`))
      })
    )
    return Effect.andThen(liveFirst, get)
  }
