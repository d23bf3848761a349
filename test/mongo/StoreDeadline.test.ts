// A store operation always ends. A driver write that waits for its socket to drain never settles
// once the link goes silent and the client is closed under it (what the connection watchdog does
// to a wedged client): the batch holding it would have held its step's lane for good.
import { afterAll, expect, test } from "bun:test"
import { createServer, connect as dial, type Socket } from "node:net"
import { Effect, Exit } from "effect"
import { MongoClient } from "mongodb"
import { run, StoreDeadline } from "../../src/adapters/mongo/MongoOp.ts"
import { describeMongo, freshDbName } from "../support/mongo/MongoTestEnv.ts"

/** A TCP relay to the store that can go silent: it stops reading from the client (its writes back up). */
const silentRelay = async (target: URL) => {
  const clients: Array<Socket> = []
  const server = createServer((client) => {
    const upstream = dial(Number(target.port || 27017), target.hostname)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on("error", () => undefined)
    upstream.on("error", () => undefined)
    client.on("close", () => upstream.destroy())
    clients.push(client)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    silence: () => {
      for (const client of clients) {
        client.unpipe()
        client.pause()
      }
    },
    close: () => {
      for (const client of clients) client.destroy()
      server.close()
    }
  }
}

describeMongo("a store operation on a link gone silent", (url) => {
  const closing: Array<() => void> = []
  afterAll(() => {
    for (const close of closing) close()
  })

  test("fails as unavailable by the store deadline once its client is closed, instead of never settling", async () => {
    const relay = await silentRelay(new URL(url))
    closing.push(relay.close)
    const client = await new MongoClient(`mongodb://127.0.0.1:${relay.port}`, { serverSelectionTimeoutMS: 2000, socketTimeoutMS: 10_000 }).connect()
    const big = client.db(freshDbName()).collection("big")
    await big.insertOne({ warm: true })
    relay.silence()
    // Megabytes: more than the socket's buffers hold, so the driver waits for them to drain.
    const docs = Array.from({ length: 2000 }, (_, i) => ({ i, pad: "x".repeat(4000) }))
    const startedAt = Date.now()
    const outcome = Effect.runPromiseExit(run(() => big.insertMany(docs)).pipe(Effect.provideService(StoreDeadline, 3000)))
    await Bun.sleep(500)
    void client.close(true).catch(() => undefined)
    const settled = await Promise.race([outcome, Bun.sleep(15_000).then(() => "pending" as const)])
    expect(settled).not.toBe("pending")
    if (settled === "pending" || Exit.isSuccess(settled)) throw new Error(`expected a failure, got ${String(settled)}`)
    expect(String(settled.cause)).toContain("StoreUnavailable")
    expect(String(settled.cause)).toContain("no answer from the store in 3000 ms")
    expect(Date.now() - startedAt).toBeLessThan(10_000)
  }, 30_000)
})
