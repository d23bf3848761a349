// node:http front end (Bun.serve cannot drop a socket mid-request, which resets need).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { Outcome } from "./RequestPipeline.ts"
import type { SimRequest } from "./SimHttp.ts"

export type Dispatch = (req: Omit<SimRequest, "params">) => Promise<Outcome>
export type OnDone = (req: Omit<SimRequest, "params">, status: number | "hang" | "reset", startedAt: number) => void

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

const headersOf = (req: IncomingMessage): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(",") : v]))

const parseBody = (raw: string): unknown | SyntaxError => {
  if (raw === "") return undefined
  try {
    return JSON.parse(raw)
  } catch (e) {
    return e as SyntaxError
  }
}

const write = (res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void => {
  const text = body === undefined || status === 204 ? "" : JSON.stringify(body)
  res.writeHead(status, { ...headers, ...(text === "" ? {} : { "Content-Type": "application/json;charset=utf-8" }) })
  res.end(text)
}

/** Starts an answer and then drops the socket, so clients cannot silently retry on a fresh connection. */
const resetMidResponse = (res: ServerResponse): void => {
  res.writeHead(200, { "Content-Type": "application/json;charset=utf-8", "Content-Length": "4096" })
  res.write('{"results":[')
  setTimeout(() => res.socket?.destroy(), 5)
}

export const startHttpServer = async (
  port: number,
  dispatch: Dispatch,
  onDone: OnDone
): Promise<{ server: Server; port: number; hanging: Set<ServerResponse> }> => {
  const hanging = new Set<ServerResponse>()
  const server = createServer(async (req, res) => {
    const startedAt = Date.now()
    const url = new URL(req.url ?? "/", "http://localhost")
    const body = parseBody(await readBody(req))
    const simReq = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: headersOf(req), body }
    if (body instanceof SyntaxError) {
      write(res, 400, {}, { status: "error", message: `Invalid input JSON: ${body.message}`, correlationId: crypto.randomUUID(), category: "VALIDATION_ERROR" })
      return onDone(simReq, 400, startedAt)
    }
    const outcome = await dispatch(simReq)
    if (outcome.kind === "reset") resetMidResponse(res)
    if (outcome.kind === "hang") hanging.add(res)
    if (outcome.kind === "respond") write(res, outcome.response.status, outcome.response.headers ?? {}, outcome.response.body)
    onDone(simReq, outcome.kind === "respond" ? outcome.response.status : outcome.kind, startedAt)
  })
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  const address = server.address()
  return { server, port: typeof address === "object" && address !== null ? address.port : port, hanging }
}
