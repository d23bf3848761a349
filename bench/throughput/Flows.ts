// Flow A (HubSpot change → user in the shop) and flow C (shop user_created → HubSpot contact),
// driven from outside: contacts created in the HubSpot simulator (which sends signed webhooks),
// and shop events published on the broker. Timed until everything arrived on the other side.
import type { Rec } from "../../test/support/commerce/CommerceSimulator.ts"
import type { Stack } from "../../test/support/e2e/Stack.ts"
import { waitUntil } from "./Deadline.ts"
import type { FerretDb } from "./FerretDb.ts"
import { type CallStats, callStats, contactsRead } from "./HubSpotCalls.ts"
import { cpuMs } from "./ProcessStats.ts"
import { publishUserCreated } from "./ShopEvents.ts"
import { meterUsage, type Usage } from "./Usage.ts"

export interface FlowResult {
  readonly entities: number
  readonly arrived: number
  readonly seconds: number
  readonly done: boolean
  readonly usage: Usage
  readonly calls: CallStats
  /** How long publishing (flow C) or creating (flow A) the changes took, within `seconds`. */
  readonly feedSeconds: number
  /** Webhook batches the simulator gave up on after its retries (flow A). */
  readonly abandonedWebhooks: number
}

/** Where flow A is seen to end: the shop received the user, or (embedded bus) the service read the contact. */
export type FlowAEnd = "shop" | "contact-read"

/** Shop users that exist before the flow (seeded, no events), one per flow C entity. */
export const seedUsers = (n: number): ReadonlyArray<Rec> => {
  const at = new Date().toISOString()
  return Array.from({ length: n }, (_, i) => ({ id: String(800_000 + i), email: `bench-c-${i}@example.com`, firstName: `C${i}`, createdAt: at, updatedAt: at }))
}

const inShop = (stack: Stack, ids: ReadonlySet<string>): number =>
  stack.commerce.state().user.filter((u) => !u.deleted && ids.has(String(u.record["crmId"]))).length

const onHubSpot = (stack: Stack, ids: ReadonlySet<string>): number => {
  let found = 0
  for (const o of stack.hubspot.state.objects.values()) {
    if (o.objectType === "contacts" && !o.archived && ids.has(o.properties["ecommerce_user_id"] ?? "")) found++
  }
  return found
}

const readBy = (stack: Stack, logFrom: number, ids: ReadonlySet<string>): number => {
  const read = contactsRead(stack.hubspot.requestLog().slice(logFrom))
  return [...ids].filter((id) => read.has(id)).length
}

/** Fine enough for a few seconds' flow at thousands per second, coarse enough to leave the service the CPU. */
const pollMs = 100

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

/**
 * Lets the previous flow's tail (write-backs, their echo webhooks) finish before the next is
 * metered: the simulator's webhook queue empty and the service under 5% of a core for half a second.
 */
export const settle = async (stack: Stack, timeoutMs: number, pids = [stack.service.process.pid]): Promise<void> => {
  const started = performance.now()
  await Promise.race([stack.hubspot.flushWebhooks(), Bun.sleep(timeoutMs)])
  const busy = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0)
  let last = busy()
  await waitUntil(
    () => {
      const now = busy()
      const idle = now - last < 25
      last = now
      return idle
    },
    Math.max(0, timeoutMs - (performance.now() - started)),
    500
  )
}

export interface FlowSettings {
  readonly tag: string
  readonly timeoutMs: number
  readonly store: FerretDb | undefined
  /** The service processes to meter (default: the stack's own). */
  readonly pids?: ReadonlyArray<number>
}

const pidsOf = (stack: Stack, settings: FlowSettings) => settings.pids ?? [stack.service.process.pid]

export const runFlowA = async (stack: Stack, n: number, end: FlowAEnd, settings: FlowSettings): Promise<FlowResult> => {
  const logFrom = stack.hubspot.requestLog().length
  const abandonedBefore = stack.hubspot.webhooks?.abandoned.length ?? 0
  const used = await meterUsage(pidsOf(stack, settings), settings.store)
  const started = performance.now()
  const ids = new Set<string>()
  for (let i = 0; i < n; i++)
    ids.add(stack.hubspot.ui.create("contacts", { email: `bench-a-${settings.tag}-${i}@example.com`, firstname: `A${i}`, lastname: "Bench" }).id)
  const feedSeconds = (performance.now() - started) / 1000
  let arrived = 0
  const count = () => (arrived = end === "shop" ? inShop(stack, ids) : readBy(stack, logFrom, ids))
  const waited = await waitUntil(() => count() >= n, Math.max(0, settings.timeoutMs - feedSeconds * 1000), pollMs)
  return {
    entities: n,
    arrived,
    seconds: (performance.now() - started) / 1000,
    done: waited.done,
    usage: await used(),
    calls: callStats(stack.hubspot.requestLog().slice(logFrom)),
    feedSeconds,
    abandonedWebhooks: sum((stack.hubspot.webhooks?.abandoned ?? []).slice(abandonedBefore).map((batch) => batch.length))
  }
}

/** Needs a stack seeded with `users` (see seedUsers) and the service on the broker. */
export const runFlowC = async (stack: Stack, users: ReadonlyArray<Rec>, prefix: string, settings: FlowSettings): Promise<FlowResult> => {
  const logFrom = stack.hubspot.requestLog().length
  const ids = new Set(users.map((u) => String(u["id"])))
  const used = await meterUsage(pidsOf(stack, settings), settings.store)
  const started = performance.now()
  await publishUserCreated(stack.broker.url, prefix, users)
  const feedSeconds = (performance.now() - started) / 1000
  let arrived = 0
  const waited = await waitUntil(() => (arrived = onHubSpot(stack, ids)) >= ids.size, Math.max(0, settings.timeoutMs - feedSeconds * 1000), pollMs)
  return {
    entities: ids.size,
    arrived,
    seconds: (performance.now() - started) / 1000,
    done: waited.done,
    usage: await used(),
    calls: callStats(stack.hubspot.requestLog().slice(logFrom)),
    feedSeconds,
    abandonedWebhooks: 0
  }
}
