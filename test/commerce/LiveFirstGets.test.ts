// The shop's REST API is asked in the backfill lane only once live work is done (LiveFirst).
import { afterAll, expect, test } from "bun:test"
import { makeGet } from "../../src/adapters/commerce/CommerceHttp.ts"
import { waitsForLive } from "../support/LiveFirstProbe.ts"

const gets: Array<string> = []
const server = Bun.serve({
  port: 0,
  fetch: (request) => {
    gets.push(new URL(request.url).pathname)
    return Response.json({ data: [] })
  }
})
afterAll(() => server.stop(true))

test("a backfill GET waits for the process's live work before it reaches the shop", async () => {
  const get = makeGet({ baseUrl: `http://127.0.0.1:${server.port}`, token: undefined, timeoutMs: 5_000 })
  const seen = { during: -1 }
  const out = await waitsForLive(get("users", {}), 300, () => (seen.during = gets.length))
  expect(out).toEqual({ waited: true, finished: true })
  expect(seen.during).toBe(0)
  expect(gets).toEqual(["/users"])
})
