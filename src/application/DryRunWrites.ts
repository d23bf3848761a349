// A dry run's side: the real ports for every read, stand-ins that write nothing for every write,
// on the CRM, the bus (the shop's side) and the store. The stand-ins count what would have been
// written, so the same flow code that syncs for real reports what it would do.
import { Effect } from "effect"
import type { CrmObjectType } from "../domain/CrmProperties.ts"
import { Crm, type CrmIdOf, type ItemOutcome } from "./ports/Crm.ts"
import { IdLinks } from "./ports/IdLinks.ts"
import { MessageBus } from "./ports/MessageBus.ts"
import { Snapshots } from "./ports/Snapshots.ts"
import { WriteLedger } from "./ports/WriteLedger.ts"

/** Counts per outcome: "would create", "would update", "would delete", … */
export type Tally = Record<string, number>

export const bump = (tally: Tally, outcome: string, by = 1) => {
  tally[outcome] = (tally[outcome] ?? 0) + by
}

/** What a message to the shop would have done: create when the shop has no id for it yet. */
const shopOutcome = (type: string, payload: unknown): string => {
  const action = type.split(".").at(-1) ?? type
  if (action === "upsert") return typeof payload === "object" && payload !== null && "commerceId" in payload ? "would update" : "would create"
  return action === "assigned" ? "would send ids" : `would ${action}`
}

/** Runs `effect` with every write replaced by a count in `tally`; reads go to the real ports. */
export const withDryRun = <A, E, R>(effect: Effect.Effect<A, E, R>, tally: Tally) =>
  Effect.gen(function* () {
    const crm = yield* Crm
    const bus = yield* MessageBus
    const snapshots = yield* Snapshots
    const links = yield* IdLinks
    const ledger = yield* WriteLedger
    const upsert = <T extends CrmObjectType>(_type: T, inputs: ReadonlyArray<{ readonly commerceId: string }>) =>
      Effect.sync(() => {
        bump(tally, "would create", inputs.length)
        return inputs.map((i): ItemOutcome<CrmIdOf[T]> => ({ _tag: "Applied", id: `dry-run:${i.commerceId}` as CrmIdOf[T], created: true }))
      })
    const update = <T extends CrmObjectType>(_type: T, inputs: ReadonlyArray<{ readonly id: CrmIdOf[T] }>) =>
      Effect.sync(() => {
        bump(tally, "would update", inputs.length)
        return inputs.map((i): ItemOutcome<CrmIdOf[T]> => ({ _tag: "Applied", id: i.id, created: false }))
      })
    return yield* effect.pipe(
      Effect.provideService(Crm, {
        ...crm,
        upsert,
        update,
        archive: (_type, ids) => Effect.sync(() => bump(tally, "would delete", ids.length)),
        associate: () => Effect.void
      }),
      Effect.provideService(MessageBus, {
        ...bus,
        publish: (messages) =>
          Effect.sync(() => {
            for (const m of messages) bump(tally, shopOutcome(m.type, m.payload))
          })
      }),
      Effect.provideService(Snapshots, {
        ...snapshots,
        saveCrm: (all) => Effect.succeed(all.map(() => "newer" as const)),
        saveCommerce: (all) => Effect.succeed(all.map(() => "newer" as const))
      }),
      Effect.provideService(IdLinks, { ...links, link: () => Effect.void, repoint: () => Effect.void }),
      Effect.provideService(WriteLedger, { ...ledger, record: () => Effect.void })
    )
  })
