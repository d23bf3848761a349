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

test("/readyz names the replica and the partitions it holds; /metrics counts them", async () => {
  const service = await startService({ REPLICA_ID: "replica-one", PARTITIONS: "4" })
  try {
    const deadline = Date.now() + 10_000
    let body: Record<string, unknown> = {}
    while (Date.now() < deadline) {
      body = (await (await fetch(new URL("/readyz", service.url))).json()) as Record<string, unknown>
      if (Array.isArray(body["partitions"]) && body["partitions"].length === 4) break
      await Bun.sleep(100)
    }
    // One process alone holds every partition.
    expect(body).toMatchObject({ status: "ready", replica: "replica-one", partitions: [0, 1, 2, 3] })
    expect(await (await fetch(new URL("/metrics", service.url))).text()).toContain("crm_sync_partitions_held 4")
  } finally {
    expect(await service.stop()).toBe(0)
  }
})
