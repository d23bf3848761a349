// An HTTP gate in front of the HubSpot simulator for rate-limit faults: while a storm is on it
// answers HubSpot's 429 TEN_SECONDLY_ROLLING to every call, while the daily cap is spent its
// 429 DAILY; otherwise it forwards. The simulator itself stays untouched.
import { rateLimited } from "../hubspot/HubSpotErrors.ts"

export type GateMode = "pass" | "storm" | "daily"

export interface HubSpotGate {
  readonly url: string
  readonly port: number
  readonly setMode: (mode: GateMode) => void
  /** Calls answered 429 by the gate so far. */
  readonly rejected: () => number
  readonly stop: () => void
}

const limitHeaders = (mode: GateMode): Record<string, string> => ({
  "content-type": "application/json",
  "X-HubSpot-RateLimit-Max": "190",
  "X-HubSpot-RateLimit-Remaining": "0",
  "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
  "X-HubSpot-RateLimit-Daily": "1000000",
  "X-HubSpot-RateLimit-Daily-Remaining": mode === "daily" ? "0" : "500000"
})

export const startHubSpotGate = (upstream: string): HubSpotGate => {
  let mode: GateMode = "pass"
  let rejected = 0
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    fetch: async (req) => {
      const url = new URL(req.url)
      if (mode !== "pass") {
        rejected++
        const answer = rateLimited(mode === "daily" ? "DAILY" : "TEN_SECONDLY_ROLLING")
        return new Response(JSON.stringify(answer.body), { status: 429, headers: limitHeaders(mode) })
      }
      const headers = new Headers(req.headers)
      headers.delete("host")
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer()
      const res = await fetch(`${upstream}${url.pathname}${url.search}`, { method: req.method, headers, body, redirect: "manual" })
      return new Response(res.body, { status: res.status, headers: res.headers })
    }
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port as number,
    setMode: (to) => {
      mode = to
    },
    rejected: () => rejected,
    stop: () => void server.stop(true)
  }
}
