// The request/response shapes routes work with, independent of the HTTP server.
export interface SimRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Record<string, string | undefined>
  readonly body: unknown
  readonly params: Record<string, string>
}

export interface SimResponse {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>

export interface Route {
  readonly method: string
  readonly pattern: RegExp
  readonly keys: readonly string[]
  readonly handler: Handler
}

export const route = (method: string, path: string, handler: Handler): Route => {
  const keys: string[] = []
  const source = path.replace(/\{(\w+)\}/g, (_, key: string) => {
    keys.push(key)
    return "([^/]+)"
  })
  return { method, pattern: new RegExp(`^${source}$`), keys, handler }
}

export const matchRoute = (routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined => {
  for (const r of routes) {
    if (r.method !== method) continue
    const m = r.pattern.exec(path)
    if (m === null) continue
    const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? "")]))
    return { route: r, params }
  }
  return undefined
}

export const json = (status: number, body: unknown): SimResponse => ({ status, body })

export const bodyRecord = (req: SimRequest): Record<string, unknown> =>
  typeof req.body === "object" && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {}

export const listParam = (query: URLSearchParams, name: string): string[] =>
  query
    .getAll(name)
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "")
