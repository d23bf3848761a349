// Runs the HubSpot simulator standalone: SIM_PORT, WEBHOOK_URL, HUBSPOT_CLIENT_SECRET, HUBSPOT_ACCESS_TOKEN.
import { startHubSpotSimulator } from "../test/support/hubspot/HubSpotSimulator.ts"

const env = (name: string): string | undefined => {
  const value = process.env[name]
  return value === undefined || value === "" ? undefined : value
}

const webhookUrl = env("WEBHOOK_URL")
const sim = await startHubSpotSimulator({
  port: Number(env("SIM_PORT") ?? 4010),
  accessToken: env("HUBSPOT_ACCESS_TOKEN") ?? "test-token",
  ...(webhookUrl === undefined ? {} : { webhook: { url: webhookUrl, clientSecret: env("HUBSPOT_CLIENT_SECRET") ?? "test-secret" } })
})

console.log(`HubSpot simulator listening on ${sim.url}${webhookUrl === undefined ? "" : ` (webhooks -> ${webhookUrl})`}`)

const shutdown = async () => {
  await sim.stop()
  process.exit(0)
}
process.on("SIGINT", shutdown)
process.on("SIGTERM", shutdown)
