// End-to-end latency of flow A (HubSpot change → entity in the shop) and flow C (shop change →
// HubSpot record), through `bun start` on RabbitMQ and FerretDB with both simulators at their
// default latency (none added). Needs AMQP_URL and MONGO_URL: eval "$(scripts/services.sh)".
// Usage: bun bench/sync-latency.ts [samples=40] [burst limit=100]
// The service paces itself to the HubSpot burst budget (HUBSPOT_BURST_LIMIT per 10 s); each flow A
// sync costs about 4 calls, so at the Starter limit of 100 back-to-back syncs queue for budget.
import { Effect } from "effect"
import { startStack } from "../test/support/e2e/Stack.ts"

const samples = Number(process.argv[2] ?? 40)
const burst = process.argv[3] ?? "100"
const mongoUrl = process.env.MONGO_URL
if (process.env.AMQP_URL === undefined || mongoUrl === undefined) {
  console.error('Set AMQP_URL and MONGO_URL first: eval "$(scripts/services.sh)"')
  process.exit(2)
}

const waitFor = async (found: () => boolean, timeoutMs = 30_000): Promise<number> => {
  const started = performance.now()
  while (!found()) {
    if (performance.now() - started > timeoutMs) throw new Error("timed out")
    await Bun.sleep(2)
  }
  return performance.now() - started
}

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}
const report = (name: string, ms: ReadonlyArray<number>) =>
  console.log(`${name}: n=${ms.length} p50=${percentile(ms, 50).toFixed(0)} ms p99=${percentile(ms, 99).toFixed(0)} ms max=${Math.max(...ms).toFixed(0)} ms`)

const stack = await startStack(mongoUrl, { env: { HUBSPOT_BURST_LIMIT: burst } })
console.log(`HubSpot burst budget: ${burst} requests / 10 s`)
try {
  const flowA: Array<number> = []
  for (let i = 0; i < samples; i++) {
    const contact = stack.hubspot.ui.create("contacts", { email: `lat-a-${i}@example.com`, firstname: `A${i}` })
    flowA.push(await waitFor(() => stack.commerce.state().user.some((u) => u.record["crmId"] === contact.id)))
  }
  const flowC: Array<number> = []
  for (let i = 0; i < samples; i++) {
    const user = await Effect.runPromise(stack.commerce.createUser({ email: `lat-c-${i}@example.com`, firstName: `C${i}` }))
    const started = performance.now()
    await waitFor(() => stack.hubspot.state.findByValue("contacts", "ecommerce_user_id", String(user["id"])) !== undefined)
    flowC.push(performance.now() - started)
  }
  report("flow A (HubSpot UI change → user in the shop)", flowA)
  report("flow C (shop user_created → HubSpot contact)", flowC)
} finally {
  await stack.stop()
}
