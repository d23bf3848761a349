// Delivers webhook events like HubSpot: signed JSON arrays, bounded concurrency, retries.
import { seededRandom } from "./Faults.ts"
import type { WebhookEvent } from "./WebhookEvents.ts"
import { type SignatureVersion, signatureHeaders } from "./WebhookSignature.ts"

export interface WebhookOptions {
  url: string
  clientSecret: string
  signatureVersion?: SignatureVersion
  maxInFlight?: number
  batchSize?: number
  retryDelaysMs?: number[]
  timeoutMs?: number
  duplicates?: boolean
  reorder?: boolean
  portalId?: number
  appId?: number
}

/** About HubSpot's schedule: 10 tries spread over roughly a day. */
export const hubspotRetryDelaysMs = [60_000, 120_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000]

export interface DeliveryAttempt {
  readonly attemptNumber: number
  readonly eventCount: number
  readonly outcome: number | "timeout" | "connection-error"
  readonly at: number
}

interface Batch {
  events: WebhookEvent[]
  attempt: number
}

export class WebhookSender {
  readonly attempts: DeliveryAttempt[] = []
  readonly abandoned: WebhookEvent[][] = []
  private buffer: WebhookEvent[] = []
  private ready: Batch[] = []
  private inFlight = 0
  private timers = new Set<ReturnType<typeof setTimeout>>()
  private waiters: Array<() => void> = []
  private random = seededRandom(7)
  private stopped = false
  private pumpScheduled = false
  /** Told of every request: when it was posted and answered (a bench times a live change's webhook). */
  observer: ((events: ReadonlyArray<WebhookEvent>, postedAt: number, answeredAt: number) => void) | undefined

  constructor(private readonly options: WebhookOptions) {}

  enqueue(event: WebhookEvent): void {
    if (this.stopped) return
    this.buffer.push(event)
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    this.later(0, () => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  /** Resolves once every queued event was delivered or abandoned, retries included. */
  flush(): Promise<void> {
    if (this.idle()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Sends again after `stop` (changes made while stopped are not sent): a bench seeds quietly. */
  resume(): void {
    this.stopped = false
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.buffer = []
    this.ready = []
    this.notifyIfIdle()
  }

  private idle(): boolean {
    return this.buffer.length === 0 && this.ready.length === 0 && this.inFlight === 0 && this.timers.size === 0
  }

  private notifyIfIdle(): void {
    if (!this.idle()) return
    for (const w of this.waiters.splice(0)) w()
  }

  private later(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      run()
      this.notifyIfIdle()
    }, ms)
    this.timers.add(t)
  }

  private shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[items[i], items[j]] = [items[j] as T, items[i] as T]
    }
    return items
  }

  private cutBatches(): void {
    const events = this.options.reorder === true ? this.shuffle(this.buffer.splice(0)) : this.buffer.splice(0)
    const size = this.options.batchSize ?? 100
    for (let i = 0; i < events.length; i += size) {
      const batch = { events: events.slice(i, i + size), attempt: 0 }
      this.ready.push(batch)
      if (this.options.duplicates === true) this.ready.push({ events: [...batch.events], attempt: 0 })
    }
    if (this.options.reorder === true) this.shuffle(this.ready)
  }

  private pump(): void {
    if (this.stopped) return
    this.cutBatches()
    while (this.inFlight < (this.options.maxInFlight ?? 10)) {
      const next = this.ready.shift()
      if (next === undefined) break
      this.inFlight++
      void this.deliver(next).finally(() => {
        this.inFlight--
        this.pump()
        this.notifyIfIdle()
      })
    }
  }

  private async deliver(batch: Batch): Promise<void> {
    const body = JSON.stringify(batch.events.map((e) => ({ ...e, attemptNumber: batch.attempt })))
    const postedAt = Date.now()
    const outcome = await this.post(body)
    this.observer?.(batch.events, postedAt, Date.now())
    this.attempts.push({ attemptNumber: batch.attempt, eventCount: batch.events.length, outcome, at: Date.now() })
    if (typeof outcome === "number" && outcome >= 200 && outcome < 300) return
    this.retry(batch)
  }

  private retry(batch: Batch): void {
    const delays = this.options.retryDelaysMs ?? hubspotRetryDelaysMs
    const delay = delays[batch.attempt]
    if (this.stopped || delay === undefined) {
      this.abandoned.push(batch.events)
      return
    }
    this.later(delay, () => {
      this.ready.push({ events: batch.events, attempt: batch.attempt + 1 })
      this.pump()
    })
  }

  private async post(body: string): Promise<number | "timeout" | "connection-error"> {
    const { url, clientSecret } = this.options
    const headers = {
      "Content-Type": "application/json",
      "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nextgen)",
      ...signatureHeaders(this.options.signatureVersion ?? "v3", clientSecret, "POST", url, body, Date.now())
    }
    try {
      const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) })
      await res.arrayBuffer().catch(() => undefined)
      return res.status
    } catch (e) {
      return e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError") ? "timeout" : "connection-error"
    }
  }
}
