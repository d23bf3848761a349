// The focused store ports on their memory adapters, for harnesses that run the use cases.
import { Layer } from "effect"
import * as InMemoryIdLinks from "../../src/adapters/memory/InMemoryIdLinks.ts"
import * as InMemoryParkedItems from "../../src/adapters/memory/InMemoryParkedItems.ts"
import * as InMemorySnapshots from "../../src/adapters/memory/InMemorySnapshots.ts"
import * as InMemoryWriteLedger from "../../src/adapters/memory/InMemoryWriteLedger.ts"
import type { IdLinks } from "../../src/application/ports/IdLinks.ts"
import type { ParkedItems } from "../../src/application/ports/ParkedItems.ts"
import type { Snapshots } from "../../src/application/ports/Snapshots.ts"
import type { WriteLedger } from "../../src/application/ports/WriteLedger.ts"

export type StorePorts = Snapshots | IdLinks | WriteLedger | ParkedItems

/** A fresh, empty set of stores each time it is built. */
export const memoryStorePorts = (): Layer.Layer<StorePorts> =>
  Layer.mergeAll(InMemorySnapshots.layer, InMemoryIdLinks.layer, InMemoryWriteLedger.layer, InMemoryParkedItems.layer).pipe(Layer.fresh)
