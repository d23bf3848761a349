// The admin page in headless Chromium (Debian's `chromium`, driven by playwright-core) against
// `bun start` on the real services: sign in, see an item parked by a HubSpot 400, fix the record
// in the simulator, replay it from the page, see it synced. SCREENSHOTS=1 refreshes docs/*.png.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { existsSync } from "node:fs"
import { Effect } from "effect"
import { type Browser, chromium } from "playwright-core"
import { skipAmqp } from "../support/amqp/AmqpTestBroker.ts"
import { eventually, type Stack, startStack } from "../support/e2e/Stack.ts"
import { describeMongo } from "../support/mongo/MongoTestEnv.ts"

const ADMIN_TOKEN = "page-admin-token"
const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p))
const docs = new URL("../../docs/", import.meta.url).pathname

describeMongo("end to end: the admin page in Chromium", (mongoUrl) => {
  if (skipAmqp || (executablePath === undefined && process.env.REQUIRE_SERVICES !== "1")) {
    test.skipIf(true)("needs AMQP_URL and chromium (apt-get install -y chromium)", () => {})
    return
  }
  let stack: Stack
  const base = () => stack.service.url.replace(/\/$/, "")
  let browser: Browser
  beforeAll(async () => {
    if (executablePath === undefined) throw new Error("chromium is not installed (apt-get install -y chromium)")
    ;[stack, browser] = await Promise.all([startStack(mongoUrl, { env: { ADMIN_TOKEN } }), chromium.launch({ executablePath, args: ["--no-sandbox"] })])
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    if (stack !== undefined) expect(await stack.stop()).toBe(0)
  }, 60_000)

  test("sign in, see the parked item, fix it in the simulator, replay it from the page, see it synced", async () => {
    stack.hubspot.setFaults({ rejectItems: [{ property: "lastname", value: "Refused", message: "lastname Refused is not allowed" }] })
    const user = await Effect.runPromise(stack.commerce.createUser({ email: "page-case@example.com", lastName: "Refused" }))
    const userId = String(user["id"])
    await eventually(async () => expect((await stack.parked()).some((p) => JSON.stringify(p.message.payload).includes(userId))).toBe(true), 20_000)

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(`${base()}/admin/ui`)
    expect(page.url()).toContain("/admin/ui/login")
    await page.fill("input[name=token]", "wrong")
    await page.click("button[type=submit]")
    expect(await page.textContent("body")).toContain("That token is not right")
    await page.fill("input[name=token]", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await page.waitForURL(/\/admin\/ui$/)
    expect(await page.textContent("#health")).toContain("store: ok")
    expect(await page.textContent("#queues")).toContain("main")

    await page.fill("input[name=entity]", userId)
    await page.click("form[action='/admin/ui'] >> text=Filter")
    const row = page.locator("#parked tr[data-id]")
    expect(await row.count()).toBe(1)
    expect(await row.textContent()).toContain("Refused is not allowed")
    if (process.env.SCREENSHOTS === "1") await page.screenshot({ path: `${docs}admin-page.png`, fullPage: true })

    // The fix: HubSpot accepts the record now; replay it from the page.
    stack.hubspot.setFaults({ rejectItems: [] })
    await row.locator("button", { hasText: "Replay" }).click()
    await page.waitForURL(/flash=/)
    expect(await page.textContent(".flash")).toContain("Replayed")
    await eventually(() => expect(stack.hubspot.state.findByValue("contacts", "ecommerce_user_id", userId)).toBeDefined(), 20_000)

    await eventually(async () => {
      await page.goto(`${base()}/admin/ui?type=user&id=${userId}`)
      expect(await page.textContent("#entity")).toContain(`⇄ ${userId}`)
    }, 20_000)
    expect(await page.textContent("#entity")).toContain("(replayed)")
    if (process.env.SCREENSHOTS === "1") await page.screenshot({ path: `${docs}admin-entity.png`, fullPage: true })

    // Without the cookie the page sends the browser to sign in; the API still wants the bearer.
    const fresh = await browser.newPage()
    await fresh.goto(`${base()}/admin/ui`)
    expect(fresh.url()).toContain("/admin/ui/login")
    expect((await fetch(`${base()}/admin/parked`)).status).toBe(401)
  }, 90_000)
})
