// A newcomer's tour: starts the HubSpot simulator, the commerce simulator and `bun start` on the
// local RabbitMQ and FerretDB, makes a change in HubSpot, and shows it arrive in the shop (and the
// shop's ids arrive back on HubSpot). Run: eval "$(scripts/services.sh)" && bun run demo
import { startStack } from "../test/support/e2e/Stack.ts"

const mongoUrl = process.env.MONGO_URL
if (process.env.AMQP_URL === undefined || mongoUrl === undefined) {
  console.error('Start the services first: eval "$(scripts/services.sh)" && bun run demo')
  process.exit(2)
}

const until = async (what: string, check: () => boolean) => {
  const started = performance.now()
  while (!check()) {
    if (performance.now() - started > 30_000) throw new Error(`gave up waiting for ${what}`)
    await Bun.sleep(20)
  }
  console.log(`  ✓ ${what} (${Math.round(performance.now() - started)} ms)`)
}

console.log("Starting HubSpot simulator, commerce simulator and crm-sync …")
const stack = await startStack(mongoUrl)
try {
  console.log(`crm-sync is at ${stack.service.url}, HubSpot simulator at ${stack.hubspot.url}, shop REST at ${stack.commerce.url}`)
  console.log('\nIn HubSpot, someone creates the company "Demo GmbH" with two contacts:')
  const company = stack.hubspot.ui.create("companies", { name: "Demo GmbH", domain: "demo.example.de", country: "Germany" })
  const people = ["ada@demo.example.de", "linus@demo.example.de"].map((email) => stack.hubspot.ui.create("contacts", { email }))
  for (const p of people) stack.hubspot.ui.associate("contacts", p.id, "companies", company.id)
  await until("the shop has the business", () => stack.commerce.state().business.some((b) => b.record["crmId"] === company.id))
  await until("the shop has both users", () => people.every((p) => stack.commerce.state().user.some((u) => u.record["crmId"] === p.id)))
  await until(
    "HubSpot carries the shop's ids",
    () =>
      stack.hubspot.state.find("companies", company.id)?.properties["ecommerce_business_id"] !== undefined &&
      people.every((p) => stack.hubspot.state.find("contacts", p.id)?.properties["ecommerce_user_id"] !== undefined)
  )
  console.log("\nThe shop now holds:")
  for (const e of [...stack.commerce.state().business, ...stack.commerce.state().user]) console.log(`  ${e.entity} ${e.id}: ${JSON.stringify(e.record)}`)
  console.log("\nHubSpot now holds:")
  for (const o of [stack.hubspot.state.find("companies", company.id), ...people.map((p) => stack.hubspot.state.find("contacts", p.id))]) {
    console.log(`  ${o?.objectType} ${o?.id}: ecommerce id ${o?.properties["ecommerce_business_id"] ?? o?.properties["ecommerce_user_id"]}`)
  }
} finally {
  const code = await stack.stop()
  console.log(`\ncrm-sync stopped (exit ${code}).`)
}
