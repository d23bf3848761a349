// Processes that only burn CPU, each holding one core busy for `duty` of every 10 ms: the load of
// a backfill without its store, broker and HubSpot traffic. Live sync measured beside them shows
// what CPU contention alone does to its latency on this machine.
import { cpus } from "node:os"

const PERIOD_MS = 10

/** Starts one burner per core; the returned function stops them. */
export const startCpuBurners = (duty: number, count = cpus().length): (() => Promise<void>) => {
  const busyMs = Math.max(0, Math.min(1, duty)) * PERIOD_MS
  const code = `for (;;) { const t = performance.now(); while (performance.now() - t < ${busyMs}) {} await Bun.sleep(${PERIOD_MS - busyMs}) }`
  const burners = Array.from({ length: count }, () => Bun.spawn([process.execPath, "-e", code], { stdout: "ignore", stderr: "ignore" }))
  return async () => {
    for (const b of burners) b.kill()
    await Promise.all(burners.map((b) => b.exited))
  }
}
