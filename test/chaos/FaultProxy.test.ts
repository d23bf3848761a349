// The chaos suite's TCP fault proxy: it forwards, goes silent, resets, and spreads over targets.
import { afterAll, expect, test } from "bun:test"
import { connect, createServer, type Server, type Socket } from "node:net"
import { startFaultProxy } from "../support/chaos/FaultProxy.ts"
import { freePort } from "../support/chaos/Ports.ts"

const servers: Array<Server> = []
afterAll(() => {
  for (const s of servers) s.close()
})

/** An echo server that prefixes what it sends back with its name. */
const echo = async (name: string): Promise<number> => {
  const server = createServer((socket) => socket.on("data", (chunk) => socket.write(`${name}:${chunk}`)))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket))
    socket.on("error", reject)
  })

/** The next answer on the socket, or "closed" / "silent" (nothing within `ms`). */
const answer = (socket: Socket, send: string, ms = 300) =>
  new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve("silent"), ms)
    socket.once("data", (chunk) => {
      clearTimeout(timer)
      resolve(chunk.toString())
    })
    socket.once("close", () => {
      clearTimeout(timer)
      resolve("closed")
    })
    socket.write(send)
  })

test("pass forwards, blackhole goes silent and resumes when healed, reset closes and refuses", async () => {
  const proxy = await startFaultProxy([await echo("a")])
  const socket = await open(proxy.port)
  expect(await answer(socket, "1")).toBe("a:1")
  proxy.setMode("blackhole")
  expect(await answer(socket, "2")).toBe("silent")
  proxy.setMode("pass")
  // What was held during the silence arrives once the link heals, as after a healed partition.
  await Bun.sleep(100)
  expect(await answer(socket, "3", 500)).toContain("3")
  proxy.setMode("reset")
  expect(await answer(socket, "4")).toBe("closed")
  const refused = await open(proxy.port)
  expect(await answer(refused, "5")).toBe("closed")
  proxy.setMode("pass")
  expect(await answer(await open(proxy.port), "6")).toBe("a:6")
  await proxy.close()
})

test("connections go round robin over the targets and skip one that is down", async () => {
  const [a, b] = [await echo("a"), await echo("b")]
  const dead = freePort()
  const proxy = await startFaultProxy([a, b])
  const names = new Set<string>()
  for (let i = 0; i < 4; i++) names.add((await answer(await open(proxy.port), "x")).split(":")[0] ?? "")
  expect([...names].sort()).toEqual(["a", "b"])
  proxy.setTargets([dead, b])
  for (let i = 0; i < 3; i++) expect(await answer(await open(proxy.port), "y")).toBe("b:y")
  await proxy.close()
})
