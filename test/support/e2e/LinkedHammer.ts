// Both directions hammering the same linked records: HubSpot's UI rewrites each contact's first
// name (flow A carries it to the shop), the shop rewrites each user's last name (flow C carries it
// to HubSpot). Each side owns one field, so the expected end is known whatever the timing: every
// record holds, on both sides, the last first name HubSpot got and the last last name the shop
// got. Every value written is remembered in order, so the oracle also sees an older value that
// landed after a newer one, in the sides' own histories (HubSpot's change events, the platform's
// applied upserts), not only in the end state.
import { Effect } from "effect"
import type { Stack } from "./Stack.ts"

export interface LinkedRecord {
  readonly contactId: string
  readonly userId: string
  /** HubSpot-side writes of `firstname`, oldest first (the first is the creation's). */
  readonly firstNames: Array<string>
  /** Shop-side writes of `lastName`, oldest first (the first is the creation's, made in HubSpot). */
  readonly lastNames: Array<string>
}

export interface HammerVerdict {
  readonly problems: ReadonlyArray<string>
}

const domain = (tag: string) => `${tag}.hammer.example.com`

/** Creates `n` contacts in HubSpot and waits until each has its shop user and both carry each other's id. */
export const createLinked = async (stack: Stack, n: number, tag: string, timeoutMs = 45_000): Promise<Array<LinkedRecord>> => {
  const contacts = Array.from({ length: n }, (_, i) =>
    stack.hubspot.ui.create("contacts", { email: `p${i}@${domain(tag)}`, firstname: `${tag}F0`, lastname: `${tag}L0` })
  )
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const users = new Map(stack.commerce.state().user.flatMap((u) => (u.deleted ? [] : [[String(u.record["crmId"]), u.id] as const])))
    const linked = contacts.filter((c) => users.has(c.id) && stack.hubspot.state.find("contacts", c.id)?.properties["ecommerce_user_id"] === users.get(c.id))
    if (linked.length === n) {
      return contacts.map((c) => ({ contactId: c.id, userId: users.get(c.id) ?? "", firstNames: [`${tag}F0`], lastNames: [`${tag}L0`] }))
    }
    if (Date.now() > deadline) throw new Error(`only ${linked.length} of ${n} contacts linked after ${timeoutMs} ms`)
    await Bun.sleep(200)
  }
}

/**
 * How a round writes. `together`: every contact gets a new first name in HubSpot and every user a
 * new last name in the shop, the two sides at once and in opposite record order. `turns`: each
 * record is written on one side only, `burst` times in a row (the sides swap every round), so
 * the per-object order of one side's successive writes is what is tested, and no record is
 * written on one side while the other side's write to it is still travelling, provided the
 * caller lets the previous round converge first.
 */
export type RoundMode = { readonly kind: "together" } | { readonly kind: "turns"; readonly burst: number }

const writeShop = (stack: Stack, r: LinkedRecord, lastName: string) =>
  stack.commerce.updateUser(r.userId, { lastName }).pipe(Effect.tap(() => Effect.sync(() => r.lastNames.push(lastName))))

const writeHubSpot = (stack: Stack, r: LinkedRecord, firstname: string) => {
  stack.hubspot.ui.update("contacts", r.contactId, { firstname })
  r.firstNames.push(firstname)
}

export const hammerRound = async (stack: Stack, records: ReadonlyArray<LinkedRecord>, tag: string, round: number, mode: RoundMode): Promise<void> => {
  const burst = mode.kind === "turns" ? mode.burst : 1
  const shopSide = records.filter((_, i) => mode.kind === "together" || (i + round) % 2 === 1)
  const hubspotSide = records.filter((_, i) => mode.kind === "together" || (i + round) % 2 === 0)
  const values = (side: string) => Array.from({ length: burst }, (_, w) => `${tag}${side}${round}${burst > 1 ? `.${w + 1}` : ""}`)
  // Each record's burst goes in order; records run side by side.
  const shop = Effect.runPromise(
    Effect.forEach(shopSide.toReversed(), (r) => Effect.forEach(values("L"), (lastName) => writeShop(stack, r, lastName), { discard: true }), {
      concurrency: 10,
      discard: true
    })
  )
  for (const [i, r] of hubspotSide.entries()) {
    for (const firstname of values("F")) writeHubSpot(stack, r, firstname)
    // Lets the shop's publishes in between, so the two sides' writes interleave.
    if (i % 10 === 9) await Bun.sleep(5)
  }
  await shop
}

/** Where each value sits in its record's write sequence; an older value after a newer one is a problem. */
const regressions = (label: string, written: ReadonlyArray<string>, seen: ReadonlyArray<string>): Array<string> => {
  const problems: Array<string> = []
  let highest = -1
  for (const value of seen) {
    const at = written.indexOf(value)
    if (at < 0) problems.push(`${label}: ${JSON.stringify(value)} was never written`)
    else if (at < highest) problems.push(`${label}: ${JSON.stringify(value)} (write ${at}) landed after write ${highest}`)
    highest = Math.max(highest, at)
  }
  return problems
}

/** Every problem the end state and both histories show; empty when the run converged correctly. */
export const checkLinked = (stack: Stack, records: ReadonlyArray<LinkedRecord>, tag: string): HammerVerdict => {
  const problems: Array<string> = []
  const contactIds = new Set(records.map((r) => r.contactId))
  const users = stack.commerce.state().user.filter((u) => !u.deleted && contactIds.has(String(u.record["crmId"])))
  const contacts = [...stack.hubspot.state.objectsOf("contacts")].filter((c) => !c.archived && String(c.properties["email"]).endsWith(`@${domain(tag)}`))
  if (users.length !== records.length) problems.push(`${users.length} shop users for ${records.length} contacts`)
  if (contacts.length !== records.length) problems.push(`${contacts.length} HubSpot contacts for ${records.length} records`)
  for (const r of records) {
    const [firstName, lastName] = [r.firstNames.at(-1), r.lastNames.at(-1)]
    const user = stack.commerce.find("user", r.userId)?.record
    const contact = stack.hubspot.state.find("contacts", r.contactId)?.properties
    const copies = users.filter((u) => u.record["crmId"] === r.contactId).length
    if (copies !== 1) problems.push(`contact ${r.contactId} has ${copies} shop users`)
    if (user?.["firstName"] !== firstName || user?.["lastName"] !== lastName)
      problems.push(`shop user ${r.userId}: ${user?.["firstName"]} ${user?.["lastName"]}, expected ${firstName} ${lastName}`)
    if (contact?.["firstname"] !== firstName || contact?.["lastname"] !== lastName)
      problems.push(`HubSpot contact ${r.contactId}: ${contact?.["firstname"]} ${contact?.["lastname"]}, expected ${firstName} ${lastName}`)
  }
  return { problems: [...problems, ...historyProblems(stack, records)] }
}

/** The order each side applied the other side's values in: HubSpot's lastname events, the platform's applied firstName upserts. */
const historyProblems = (stack: Stack, records: ReadonlyArray<LinkedRecord>): Array<string> => {
  const byContact = new Map(records.map((r) => [r.contactId, r]))
  const lastNamesSeen = new Map<string, Array<string>>()
  for (const e of stack.hubspot.events) {
    if (e.propertyName !== "lastname" || e.changeSource === "CRM_UI" || e.objectId === undefined) continue
    const id = String(e.objectId)
    if (byContact.has(id)) lastNamesSeen.set(id, [...(lastNamesSeen.get(id) ?? []), e.propertyValue ?? ""])
  }
  const firstNamesApplied = new Map<string, Array<string>>()
  for (const { envelope, outcome } of stack.commerce.received()) {
    const payload = envelope.payload as { entity?: string; crmId?: string; fields?: Record<string, unknown> }
    if (payload.entity !== "user" || !/^(created|updated) /.test(outcome) || typeof payload.fields?.["firstName"] !== "string") continue
    const id = String(payload.crmId)
    if (byContact.has(id)) firstNamesApplied.set(id, [...(firstNamesApplied.get(id) ?? []), payload.fields["firstName"]])
  }
  return records.flatMap((r) => [
    ...regressions(`HubSpot contact ${r.contactId} lastname`, r.lastNames, lastNamesSeen.get(r.contactId) ?? []),
    ...regressions(`shop user ${r.userId} firstName`, r.firstNames, firstNamesApplied.get(r.contactId) ?? [])
  ])
}
