// A small TCP fault proxy between the service and a dependency (broker, database, HubSpot) or
// in front of the service replicas. "pass" forwards; "blackhole" stops reading both ways (the
// link goes silent, as a dropped route would, and resumes if healed in time); "reset" destroys
// every connection and refuses new ones, as a peer's RST would.
import { connect, createServer, type Server, type Socket } from "node:net"

export type ProxyMode = "pass" | "blackhole" | "reset"

export interface FaultProxy {
  readonly port: number
  readonly url: (scheme: string, suffix?: string) => string
  readonly mode: () => ProxyMode
  readonly setMode: (mode: ProxyMode) => void
  /** Where new connections go (round robin; an unreachable target is skipped). */
  readonly setTargets: (ports: ReadonlyArray<number>) => void
  readonly connections: () => number
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  upstream: Socket | undefined
}

export const startFaultProxy = async (targets: ReadonlyArray<number>): Promise<FaultProxy> => {
  let mode: ProxyMode = "pass"
  let ports = [...targets]
  let next = 0
  const pairs = new Set<Pair>()

  const drop = (pair: Pair) => {
    pairs.delete(pair)
    pair.client.destroy()
    pair.upstream?.destroy()
  }
  const dial = (pair: Pair, tries: number) => {
    const port = ports[next++ % Math.max(1, ports.length)]
    if (port === undefined) return drop(pair)
    const upstream = connect({ host: "127.0.0.1", port })
    let connected = false
    upstream.on("connect", () => {
      connected = true
      pair.upstream = upstream
      upstream.pipe(pair.client)
      pair.client.pipe(upstream)
      if (mode === "blackhole") silence(pair)
    })
    upstream.on("error", () => {
      if (!connected && tries + 1 < ports.length && pairs.has(pair)) dial(pair, tries + 1)
      else drop(pair)
    })
    upstream.on("close", () => {
      if (connected) drop(pair)
    })
  }
  const silence = (pair: Pair) => {
    pair.client.pause()
    pair.upstream?.pause()
  }
  const resume = (pair: Pair) => {
    pair.client.resume()
    pair.upstream?.resume()
  }
  const server: Server = createServer((client) => {
    if (mode === "reset") return void client.destroy()
    const pair: Pair = { client, upstream: undefined }
    pairs.add(pair)
    client.on("error", () => drop(pair))
    client.on("close", () => drop(pair))
    client.pause()
    dial(pair, 0)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0

  const setMode = (to: ProxyMode) => {
    mode = to
    for (const pair of [...pairs]) {
      if (to === "reset") drop(pair)
      else if (to === "blackhole") silence(pair)
      else resume(pair)
    }
  }
  return {
    port,
    url: (scheme, suffix = "") => `${scheme}://127.0.0.1:${port}${suffix}`,
    mode: () => mode,
    setMode,
    setTargets: (to) => {
      ports = [...to]
    },
    connections: () => pairs.size,
    close: async () => {
      for (const pair of [...pairs]) drop(pair)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
