// AMQP connect and channel operations are bounded (issue 9 #15): a broker, or a link, that accepts
// and then says nothing must fail the operation instead of hanging it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createServer, type Server, type Socket } from "node:net"
import { Effect, Exit } from "effect"
import * as Session from "../../src/adapters/rabbitmq/Session.ts"
import { amqpUrl, skipAmqp } from "../support/amqp/AmqpTestBroker.ts"

const options = (url: string) => ({
  url,
  heartbeatSeconds: 10,
  reconnectMaxDelayMs: 500,
  connectionName: "crm-sync session-timeouts",
  connectTimeoutMs: 300,
  operationTimeoutMs: 300
})

describe("AMQP connect timeout", () => {
  let server: Server
  const sockets = new Set<Socket>()
  let port = 0
  beforeAll(async () => {
    // Accepts TCP and never answers the AMQP handshake: a blackholed broker.
    server = createServer((socket) => void sockets.add(socket))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    port = (server.address() as { port: number }).port
  })
  afterAll(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })

  test("a broker that never answers fails the connect as BusUnavailable", async () => {
    const started = performance.now()
    const exit = await Effect.runPromiseExit(Effect.scoped(Session.make(options(`amqp://guest:guest@127.0.0.1:${port}`))).pipe(Effect.timeout("5 seconds")))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("BusUnavailable")
    expect(performance.now() - started).toBeLessThan(3000)
  })
})

describe.skipIf(skipAmqp)("AMQP channel operation timeout", () => {
  test("an attach that never completes fails instead of hanging", async () => {
    const started = performance.now()
    const program = Effect.gen(function* () {
      const session = yield* Session.make(options(amqpUrl as string))
      return yield* session.onConnect(() => Effect.never)
    })
    const exit = await Effect.runPromiseExit(Effect.scoped(program).pipe(Effect.timeout("5 seconds")))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("no answer from RabbitMQ")
    expect(performance.now() - started).toBeLessThan(3000)
  })
})
