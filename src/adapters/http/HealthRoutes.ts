import { Hono } from "hono"

export interface ReadinessCheck {
  readonly name: string
  readonly check: () => Promise<boolean>
}

const run = async (checks: ReadonlyArray<ReadinessCheck>) => {
  const results = await Promise.all(checks.map(async ({ name, check }) => [name, await check().catch(() => false)] as const))
  return { ok: results.every(([, ok]) => ok), checks: Object.fromEntries(results) }
}

/**
 * `/healthz` says the process can still do its job (a wedged store client it cannot replace is a
 * reason to restart it); `/readyz` says its dependencies answer now (an outage is not a reason to
 * restart, only to stop sending traffic).
 */
export const make = (
  readiness: ReadonlyArray<ReadinessCheck>,
  liveness: ReadonlyArray<ReadinessCheck> = [],
  /** Added to the /readyz body, e.g. the replica's id and the partitions it holds. */
  details: () => Promise<Record<string, unknown>> = async () => ({})
) =>
  new Hono()
    .get("/healthz", async (c) => {
      const { ok, checks } = await run(liveness)
      return c.json({ status: ok ? "ok" : "failing", checks }, ok ? 200 : 503)
    })
    .get("/readyz", async (c) => {
      const [{ ok, checks }, extra] = await Promise.all([run(readiness), details().catch(() => ({}))])
      return c.json({ status: ok ? "ready" : "not ready", checks, ...extra }, ok ? 200 : 503)
    })
