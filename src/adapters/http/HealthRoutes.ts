import { Hono } from "hono"

export interface ReadinessCheck {
  readonly name: string
  readonly check: () => Promise<boolean>
}

/** `/healthz` says the process serves requests; `/readyz` says its dependencies answer. */
export const make = (checks: ReadonlyArray<ReadinessCheck>) =>
  new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      const results = await Promise.all(checks.map(async ({ name, check }) => [name, await check().catch(() => false)] as const))
      const ready = results.every(([, ok]) => ok)
      return c.json({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) }, ready ? 200 : 503)
    })
