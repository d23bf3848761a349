// The bench stops by itself: every wait is bounded by its own limit and by the run's deadline.
export class Deadline {
  constructor(private readonly at: number) {}

  static inMinutes(minutes: number): Deadline {
    return new Deadline(performance.now() + minutes * 60_000)
  }

  remainingMs(): number {
    return Math.max(0, this.at - performance.now())
  }

  /** The smaller of `ms` and what is left of the run. */
  cap(ms: number): number {
    return Math.min(ms, this.remainingMs())
  }
}

export interface Waited {
  readonly done: boolean
  readonly ms: number
}

/** Polls `done` until it holds or `timeoutMs` passed; never loops longer than that. */
export const waitUntil = async (done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<Waited> => {
  const started = performance.now()
  for (;;) {
    if (await done()) return { done: true, ms: performance.now() - started }
    if (performance.now() - started >= timeoutMs) return { done: false, ms: performance.now() - started }
    await Bun.sleep(everyMs)
  }
}
