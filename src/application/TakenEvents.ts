// The outbox relay's two publishers in one process (the claim loop and the fast path) share this
// record of the events each took, so that neither publishes what the other is publishing.
import type { PendingEvent } from "./ports/WebhookInbox.ts"

/**
 * What this process's two publishers (the claim loop and the fast path) have taken, by event key,
 * so that one never publishes what the other is publishing or has published. Published keys are
 * kept (the oldest forgotten past `PUBLISHED_KEPT`): an event whose mark failed is found pending
 * again and then only marked. Another replica knows none of this; a duplicate from it is absorbed
 * downstream, as after a crash.
 */
export class TakenEvents {
  private readonly state = new Map<string, "publishing" | "published">()
  /** The events nobody here has taken yet, now taken by the caller. */
  take(events: ReadonlyArray<PendingEvent>): ReadonlyArray<PendingEvent> {
    const mine = events.filter((e) => !this.state.has(e.change.key))
    for (const e of mine) this.state.set(e.change.key, "publishing")
    return mine
  }
  published(events: ReadonlyArray<PendingEvent>): ReadonlyArray<PendingEvent> {
    return events.filter((e) => this.state.get(e.change.key) === "published")
  }
  /** After a confirmed publish: kept, the oldest beyond the bound forgotten. */
  done(events: ReadonlyArray<PendingEvent>): void {
    for (const e of events) {
      this.state.delete(e.change.key)
      this.state.set(e.change.key, "published")
    }
    for (const key of this.state.keys()) {
      if (this.state.size <= PUBLISHED_KEPT) break
      if (this.state.get(key) === "published") this.state.delete(key)
    }
  }
  /** After a failed publish: free for whichever publisher tries next. */
  failed(events: ReadonlyArray<PendingEvent>): void {
    for (const e of events) this.state.delete(e.change.key)
  }
}
const PUBLISHED_KEPT = 50_000
