// docs/openapi.yaml is generated from the HTTP Schemas; this keeps it from drifting, and keeps
// every admin route documented.
import { expect, test } from "bun:test"
import { Effect } from "effect"
import { outputPath, render } from "../../scripts/openapi.ts"
import * as AdminRoutes from "../../src/adapters/http/AdminRoutes.ts"
import { document } from "../../src/adapters/http/OpenApi.ts"

test("docs/openapi.yaml is up to date (regenerate with `bun run openapi`)", async () => {
  expect(await Bun.file(outputPath).text()).toBe(render())
  expect(Bun.YAML.parse(render())).toEqual(JSON.parse(JSON.stringify(document())))
})

test("every admin route is documented with its method, behind the bearer token, with 401 and 503", () => {
  const app = AdminRoutes.make({
    run: () => Promise.reject(new Error("unused")),
    budget: { burst: 1, intervalMs: 1, daily: 1, backfillShare: 0, timeZone: "UTC" },
    stored: Effect.void
  })
  const doc = document() as unknown as { openapi: string; paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> }
  expect(doc.openapi).toBe("3.1.0")
  const routes = app.routes.map((r) => [r.path.replace(/:(\w+)/g, "{$1}"), r.method.toLowerCase()] as const)
  expect(routes.length).toBeGreaterThan(10)
  for (const [path, method] of routes) {
    const operation = doc.paths[path]?.[method]
    expect(operation, `${method} ${path}`).toBeDefined()
    expect(operation?.security).toEqual([{ adminToken: [] }])
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(["200", "401", "503"]))
  }
  expect(doc.paths["/webhooks/hubspot"]?.post).toBeDefined()
})
