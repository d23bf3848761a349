// HubSpot's limits: a rolling burst window per app, a daily cap, and search's own 5/s.
export interface RateLimitConfig {
  readonly burstLimit: number
  readonly burstIntervalMs: number
  readonly dailyLimit: number
  readonly searchPerSecond: number
}

export type RateDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; policy: "TEN_SECONDLY_ROLLING" | "DAILY" | "SECONDLY"; headers: Record<string, string> }

export class RateLimiter {
  private burst: number[] = []
  private search: number[] = []
  dailyUsed = 0

  constructor(
    public config: RateLimitConfig,
    private readonly clock: () => number = Date.now
  ) {}

  /** HubSpot's daily reset (midnight in the account's zone), whenever a test says so. */
  resetDay(): void {
    this.dailyUsed = 0
  }

  /** A new daily cap from now on (the day's count is kept). */
  setDailyLimit(dailyLimit: number): void {
    this.config = { ...this.config, dailyLimit }
  }

  reset(): void {
    this.burst = []
    this.search = []
    this.dailyUsed = 0
  }

  private headers(): Record<string, string> {
    return {
      "X-HubSpot-RateLimit-Max": String(this.config.burstLimit),
      "X-HubSpot-RateLimit-Remaining": String(Math.max(0, this.config.burstLimit - this.burst.length)),
      "X-HubSpot-RateLimit-Interval-Milliseconds": String(this.config.burstIntervalMs),
      "X-HubSpot-RateLimit-Daily": String(this.config.dailyLimit),
      "X-HubSpot-RateLimit-Daily-Remaining": String(Math.max(0, this.config.dailyLimit - this.dailyUsed))
    }
  }

  /** Admits or rejects one API call; rejected calls do not consume budget. */
  take(isSearch: boolean): RateDecision {
    const now = this.clock()
    this.burst = this.burst.filter((t) => now - t < this.config.burstIntervalMs)
    this.search = this.search.filter((t) => now - t < 1000)
    if (this.dailyUsed >= this.config.dailyLimit) return this.reject("DAILY", isSearch)
    if (isSearch) return this.takeSearch(now)
    if (this.burst.length >= this.config.burstLimit) return this.reject("TEN_SECONDLY_ROLLING", false)
    this.burst.push(now)
    this.dailyUsed++
    return { allowed: true, headers: this.headers() }
  }

  private takeSearch(now: number): RateDecision {
    if (this.search.length >= this.config.searchPerSecond) return this.reject("SECONDLY", true)
    this.search.push(now)
    this.dailyUsed++
    return { allowed: true, headers: {} }
  }

  private reject(policy: "TEN_SECONDLY_ROLLING" | "DAILY" | "SECONDLY", isSearch: boolean): RateDecision {
    return { allowed: false, policy, headers: isSearch ? {} : this.headers() }
  }
}
