import { expect, test } from "bun:test"
import { startService } from "../support/ServiceProcess.ts"

test("bun start without AMQP_URL/MONGO_URL runs embedded, answers /healthz and exits 0 on SIGTERM", async () => {
  const service = await startService()
  try {
    expect(String(service.logs[0]?.["message"])).toContain("embedded in-memory adapters")
    expect(service.logs[0]?.["level"]).toBe("INFO")
    const health = await fetch(new URL("/healthz", service.url))
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: "ok" })
    // No ADMIN_TOKEN: the admin routes do not exist, and the start log says so.
    expect(service.logs.map((l) => String(l["message"]))).toContain("admin API and page are off: ADMIN_TOKEN is not set")
    expect((await fetch(new URL("/admin/parked", service.url))).status).toBe(404)
    expect((await fetch(new URL("/admin/ui", service.url))).status).toBe(404)
    expect((await fetch(new URL("/metrics", service.url))).status).toBe(200)
  } finally {
    const code = await service.stop()
    expect(code).toBe(0)
  }
  expect(service.logs.map((l) => l["message"])).toContain("HTTP server stopped")
})
