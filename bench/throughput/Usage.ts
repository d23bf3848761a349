// What a phase cost: store operations (the private FerretDB's request counters), CPU of the
// service (summed over its replicas) and of FerretDB (from /proc), and the service's peak RSS
// (the largest replica's).
import type { FerretDb } from "./FerretDb.ts"
import { opsBetween } from "./FerretDb.ts"
import { cpuMeter, peakRssMb } from "./ProcessStats.ts"

export interface Usage {
  /** Undefined when the service does not use the private FerretDB (in-memory store). */
  readonly storeOps: ReturnType<typeof opsBetween> | undefined
  readonly serviceCpuMs: number | undefined
  readonly storeCpuMs: number | undefined
  readonly servicePeakRssMb: number | undefined
}

const orUndefined = <A>(read: () => A): A | undefined => {
  try {
    return read()
  } catch {
    return undefined
  }
}

/** A replica killed or gone before the reading leaves the sum undefined: it would be short. */
const sumOf = (xs: ReadonlyArray<number | undefined>): number | undefined =>
  xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, b) => a + (b ?? 0), 0)

/** Starts the meters on every service process; the returned function reads what was used since. */
export const meterUsage = async (servicePids: ReadonlyArray<number>, store: FerretDb | undefined): Promise<() => Promise<Usage>> => {
  const before = await store?.requests()
  const services = servicePids.map(cpuMeter)
  const storeCpu = store === undefined ? undefined : cpuMeter(store.pid)
  return async () => ({
    storeOps: store === undefined || before === undefined ? undefined : opsBetween(before, await store.requests()),
    serviceCpuMs: sumOf(services.map((meter) => meter())),
    storeCpuMs: storeCpu?.(),
    servicePeakRssMb: orUndefined(() => Math.max(...servicePids.map(peakRssMb)))
  })
}
