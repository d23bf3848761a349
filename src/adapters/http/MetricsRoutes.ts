// GET /metrics: the process's Prometheus registry in the text exposition format.
import { Hono } from "hono"
import type { Registry } from "prom-client"

export const make = (registry: Registry) =>
  new Hono().get("/metrics", async (c) => c.body(await registry.metrics(), 200, { "content-type": registry.contentType }))
