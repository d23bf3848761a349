// A batch's view of the platform's store: the entities its earlier operations decided to store,
// over the store itself, which stays untouched until the batch's answers are published. A later
// message of a batch sees what an earlier one did (a contact linking the company just created,
// two versions of one user), and a failed publish leaves the store as it was.
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import { crmIdOf, type PlatformState, type SimEntity, type StateView } from "./PlatformState.ts"

export class StagedState implements StateView {
  private readonly pending: Record<CommerceEntity, Map<string, SimEntity>> = { user: new Map(), business: new Map(), purchase: new Map() }
  /** Ids of the staged live entities holding each crmId. */
  private readonly pendingByCrm: Record<CommerceEntity, Map<unknown, Set<string>>> = { user: new Map(), business: new Map(), purchase: new Map() }

  constructor(private readonly base: PlatformState) {}

  get(entity: CommerceEntity, id: string): SimEntity | undefined {
    return this.pending[entity].get(id) ?? this.base.get(entity, id)
  }

  /** As the store answers once the staged entities are stored: the first stored live mirror. */
  byCrmId(entity: CommerceEntity, crmId: string): SimEntity | undefined {
    const staged = this.pending[entity]
    // The store's holders that no staged version replaced, and the staged ones.
    const holders = new Set<string>()
    for (const id of this.base.crmIdHolders(entity, crmId)) if (!staged.has(id)) holders.add(id)
    for (const id of this.pendingByCrm[entity].get(crmId) ?? []) holders.add(id)
    if (holders.size === 0) return undefined
    if (holders.size === 1) for (const id of holders) return this.get(entity, id)
    // Several: the store keeps its own first, then the new ids in the order they were staged.
    const first = this.base.storedFirst(entity, holders) ?? [...staged.keys()].find((id) => holders.has(id))
    return first === undefined ? undefined : this.get(entity, first)
  }

  newId(entity: CommerceEntity): string {
    let id: string
    do id = this.base.newId(entity)
    while (this.pending[entity].has(id))
    return id
  }

  put(e: SimEntity): void {
    const before = this.pending[e.entity].get(e.id)
    const crm = this.pendingByCrm[e.entity]
    const was = before === undefined ? undefined : crmIdOf(before)
    if (was !== undefined) crm.get(was)?.delete(e.id)
    const is = crmIdOf(e)
    if (is !== undefined) crm.set(is, (crm.get(is) ?? new Set()).add(e.id))
    this.pending[e.entity].set(e.id, e)
  }

  /** Stores the staged entities; an id staged twice is stored once, where it was first staged. */
  commit(): void {
    for (const staged of Object.values(this.pending)) for (const e of staged.values()) this.base.put(e)
  }
}
