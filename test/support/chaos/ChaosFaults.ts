// The faults the chaos suite injects (issue 9's list, reliability.md F1–F17): each is injected,
// held while the workload runs, then healed. A fault whose damage is instant heals with a no-op.
import { createHmac } from "node:crypto"
import type { ChaosStack } from "./ChaosStack.ts"

export interface ChaosFault {
  readonly name: string
  readonly inject: (stack: ChaosStack) => Promise<void>
  readonly heal: (stack: ChaosStack) => Promise<void>
}

const noop = async () => {}
const current = (stack: ChaosStack) => {
  const replica = stack.replicas[0]
  if (replica === undefined) throw new Error("no service replica is running")
  return replica
}

/** Signed as HubSpot signs (v3) and posted to the service: a redelivery. */
const deliver = (stack: ChaosStack, events: ReadonlyArray<unknown>) => {
  const body = JSON.stringify(events)
  const timestamp = Date.now()
  const signature = createHmac("sha256", stack.secret).update(`POST${stack.webhookUrl}${body}${timestamp}`).digest("base64")
  return fetch(stack.webhookUrl, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": String(timestamp) },
    signal: AbortSignal.timeout(10_000)
  }).then(
    (r) => r.status,
    () => 0
  )
}

const proxyFault = (link: "amqp" | "mongo" | "hubspot", mode: "blackhole" | "reset"): ChaosFault => ({
  name: `proxy-${mode}-${link}`,
  inject: async (stack) => stack.proxies[link].setMode(mode),
  heal: async (stack) => stack.proxies[link].setMode("pass")
})

/**
 * F8: HubSpot's DAILY cap. The service rests its HubSpot calls until a probe (DAILY_PROBE_INTERVAL,
 * 3 s in the chaos stack) sees HubSpot's day reset, so the run sees it resume after the heal.
 */
export const dailyCap: ChaosFault = {
  name: "hubspot-daily-cap",
  inject: async (stack) => stack.gate.setMode("daily"),
  heal: async (stack) => stack.gate.setMode("pass")
}

export const allFaults: ReadonlyArray<ChaosFault> = [
  {
    // F2/F-kill: the service dies mid-flow (after writes, before acks) and comes back.
    name: "service-sigkill",
    inject: async (stack) => {
      const replica = current(stack)
      await stack.killReplica(replica)
    },
    heal: async (stack) => {
      await stack.startReplica("a")
    }
  },
  {
    name: "broker-stop-start",
    inject: (stack) => stack.rabbit.stop(),
    heal: (stack) => stack.rabbit.start()
  },
  { name: "broker-connections-closed", inject: (stack) => stack.rabbit.closeConnections(), heal: noop },
  {
    // F1: the broker's VM dies (kill -9) and restarts on its data.
    name: "broker-kill9",
    inject: (stack) => stack.rabbit.kill(),
    heal: (stack) => stack.rabbit.start()
  },
  {
    // The broker's memory alarm: publishers are blocked (the relay's and the handlers' confirms
    // wait, then time out and are retried), consumers keep acking; it clears on heal.
    name: "broker-memory-alarm",
    inject: (stack) => stack.rabbit.memoryAlarm(true),
    heal: (stack) => stack.rabbit.memoryAlarm(false)
  },
  {
    // F5 and defect 1: the database dies (kill -9) and restarts on its data.
    name: "ferretdb-kill9",
    inject: (stack) => stack.ferret.kill(),
    heal: (stack) => stack.ferret.start()
  },
  proxyFault("amqp", "blackhole"),
  proxyFault("mongo", "blackhole"),
  proxyFault("hubspot", "blackhole"),
  proxyFault("amqp", "reset"),
  proxyFault("mongo", "reset"),
  proxyFault("hubspot", "reset"),
  {
    name: "hubspot-5xx-burst",
    inject: async (stack) => stack.hubspot.setFaults({ errorRate: 0.6, serverErrorStatus: 502 }),
    heal: async (stack) => stack.hubspot.setFaults({ errorRate: 0 })
  },
  {
    // F7: every write answers 429 TEN_SECONDLY_ROLLING while the storm lasts.
    name: "hubspot-429-storm",
    inject: async (stack) => stack.gate.setMode("storm"),
    heal: async (stack) => stack.gate.setMode("pass")
  },
  {
    // F13: what HubSpot already delivered comes again, three times, shuffled.
    name: "webhook-duplicates-reordered",
    inject: async (stack) => {
      const recent = stack.hubspot.events.slice(-40)
      const copies = [...recent, ...recent, ...recent].sort(() => Math.random() - 0.5)
      for (let i = 0; i < copies.length; i += 20) await deliver(stack, copies.slice(i, i + 20))
    },
    heal: noop
  },
  {
    // Two replicas share the work; the older one is killed while both run.
    name: "two-replicas-one-killed",
    inject: async (stack) => {
      await stack.startReplica(stack.replicas.some((r) => r.name === "b") ? "a" : "b")
      await Bun.sleep(2000)
      await stack.killReplica(current(stack))
    },
    heal: noop
  },
  dailyCap
]
